using Provisioner.Core.Model;

namespace Provisioner.Core.Validation;

public static class LabValidator
{
    public static IReadOnlyList<ConfigProblem> Validate(LabConfig lab) => lab is null ? [] : [];
}
