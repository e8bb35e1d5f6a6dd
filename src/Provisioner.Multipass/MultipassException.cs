using Provisioner.Errors;

namespace Provisioner.Multipass;

/// <summary>Multipass is missing, refused a command, or a VM did not come up; the message says how to fix it.</summary>
public sealed class MultipassException : NetlabException
{
    public MultipassException() { }

    public MultipassException(string message) : base(message) { }

    public MultipassException(string message, Exception inner) : base(message, inner) { }

    public MultipassException(string problem, string fix, Exception? inner = null)
        : base(problem, fix, inner) { }

    internal const string InstallFix =
        "install Multipass: on Linux 'sudo snap install multipass', on macOS 'brew install --cask multipass', " +
        "on Windows the installer from https://canonical.com/multipass/install; then check 'multipass version' works.";
}
