namespace Provisioner.Cli;

/// <summary>netlab's exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The stack file has problems (each printed with its key, value and fix).</summary>
    public const int InvalidStack = 1;

    /// <summary><c>netlab verify</c> found a broken layer.</summary>
    public const int VerifyFailed = 2;

    /// <summary>A template failed to parse or render (printed as file:line:column).</summary>
    public const int TemplateError = 3;

    /// <summary>Writing output or running a program failed.</summary>
    public const int Failed = 4;
}
