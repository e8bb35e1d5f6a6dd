using System.Security.Cryptography;
using System.Text;

namespace Provisioner.Rendering;

/// <summary>How a rendered file reaches its node.</summary>
public enum FileDelivery
{
    /// <summary>The cloud-init user-data itself: <c>multipass launch --cloud-init FILE</c>.</summary>
    LaunchUserData,

    /// <summary>Carried inside the user-data (<c>write_files</c>): it must be there before anything can be transferred.</summary>
    InsideUserData,

    /// <summary>Copied with <c>multipass transfer</c> and installed at <see cref="RenderedFile.NodePath"/>.</summary>
    Transfer,
}

/// <summary>
/// One file a node receives. <see cref="RelativePath"/> is where <c>netlab render</c> writes it under the node's folder;
/// <see cref="NodePath"/> where it lives on the node; <see cref="Sha256"/> changes exactly when the content or mode does,
/// which makes it a good trigger.
/// </summary>
public sealed record RenderedFile(string RelativePath, string Content, UnixFileMode Mode, string? NodePath, FileDelivery Delivery)
{
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{OctalMode}\n{Content}")));

    /// <summary>The mode as <c>install -m</c> and <c>chmod</c> take it, e.g. <c>0755</c>.</summary>
    public string OctalMode => "0" + Convert.ToString((int)Mode, 8);

    public const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Root only: configs that name the node's credentials or secrets at run time.</summary>
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
