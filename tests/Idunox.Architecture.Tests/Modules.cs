using System.Reflection;
using Idunox.Shared.Modularity;

namespace Idunox.Architecture.Tests;

/// <summary>The platform's modules, found from the host's own list, each with its implementation and Contracts assembly.</summary>
internal static class Modules
{
    public static readonly string[] Names = ["Identity", "Credentials", "Notifications", "StaffAdmin"];

    public static Assembly Implementation(string name) => Assembly.Load($"Idunox.{name}");

    public static Assembly Contracts(string name) => Assembly.Load($"Idunox.{name}.Contracts");

    public static readonly Assembly Shared = typeof(IModule).Assembly;

    public static readonly Assembly SharedAbstractions = typeof(Idunox.Shared.ITenantContext).Assembly;

    public static IEnumerable<object[]> All => Names.Select(n => new object[] { n });

    public static Type ModuleType(string name) =>
        Implementation(name).GetTypes().Single(t => typeof(IModule).IsAssignableFrom(t) && !t.IsAbstract);
}
