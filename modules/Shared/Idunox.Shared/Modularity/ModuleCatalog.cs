using Microsoft.Extensions.Configuration;

namespace Idunox.Shared.Modularity;

/// <summary>The modules the host was given, split into those enabled by configuration and those switched off.</summary>
public sealed class ModuleCatalog
{
    private ModuleCatalog(IReadOnlyList<IModule> enabled, IReadOnlyList<IModule> disabled)
    {
        Enabled = enabled;
        Disabled = disabled;
    }

    public IReadOnlyList<IModule> Enabled { get; }

    public IReadOnlyList<IModule> Disabled { get; }

    public static ModuleCatalog From(IConfiguration configuration, IEnumerable<IModule> modules)
    {
        var all = modules.ToList();
        var duplicate = all.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"The module '{duplicate.Key}' is listed twice.");
        }

        // A module is on unless configuration says Modules:<Name>:Enabled=false.
        var enabled = all.Where(m => configuration.GetValue($"Modules:{m.Name}:Enabled", true)).ToList();
        foreach (var module in enabled)
        {
            var missing = module.DependsOn.Select(ModuleOf).Distinct(StringComparer.Ordinal)
                .Where(d => !enabled.Any(e => string.Equals(e.Name, d, StringComparison.OrdinalIgnoreCase))).ToList();
            if (missing.Count > 0)
            {
                throw new Persistence.StartupConfigurationException(
                    $"The {module.Name} module needs {string.Join(" and ", missing)}: switch {(missing.Count == 1 ? "it" : "them")} on " +
                    $"(Modules:{missing[0]}:Enabled=true) or switch {module.Name} off too.");
            }
        }

        return new ModuleCatalog(enabled, all.Except(enabled).ToList());
    }

    /// <summary>The module a contract type belongs to, by its assembly's name: <c>Idunox.Identity.Contracts</c> is Identity's.</summary>
    public static string ModuleOf(Type contract)
    {
        var assembly = contract.Assembly.GetName().Name ?? string.Empty;
        var parts = assembly.Split('.');
        return parts is ["Idunox", var module, "Contracts"]
            ? module
            : throw new InvalidOperationException($"{contract.FullName} is not a module's contract (its assembly {assembly} is not Idunox.<Module>.Contracts).");
    }
}
