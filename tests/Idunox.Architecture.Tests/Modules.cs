using System.Reflection;
using Idunox.Shared.Modularity;

namespace Idunox.Architecture.Tests;

/// <summary>The platform's modules, found from the host's own list, each with its implementation and Contracts assembly.</summary>
internal static class Modules
{
    /// <summary>Read from the host's own list, so a module added there is checked here without anyone remembering to.</summary>
    public static readonly string[] Names = [.. Program.Modules.Select(m => m.Name)];

    public static Assembly Implementation(string name) => Program.Modules.Single(m => m.Name == name).GetType().Assembly;

    /// <summary>A module's Contracts assembly, or null for a module that offers nothing to others (no Contracts project).</summary>
    public static Assembly? Contracts(string name) =>
        Implementation(name).GetReferencedAssemblies().Any(a => a.Name == $"Idunox.{name}.Contracts") ? Assembly.Load($"Idunox.{name}.Contracts") : null;

    public static readonly Assembly Shared = typeof(IModule).Assembly;

    public static readonly Assembly SharedAbstractions = typeof(Idunox.Shared.ITenantContext).Assembly;

    public static IEnumerable<object[]> All => Names.Select(n => new object[] { n });

    public static Type ModuleType(string name) =>
        Implementation(name).GetTypes().Single(t => typeof(IModule).IsAssignableFrom(t) && !t.IsAbstract);
}
