using Idunox.Credentials.Contracts;
using Idunox.Shared.Errors;
using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy;

namespace Idunox.Credentials.Gateway;

/// <summary>
/// The scopes a key can be restricted to: those the gateway's routes name now (so the list follows a configuration
/// reload), each with its description from configuration. A key is either full access (null: every scope, the routes
/// of tomorrow included) or restricted to some of these.
/// </summary>
internal sealed class ScopeCatalogue(IProxyStateLookup proxy, IConfiguration configuration)
{
    public const string Field = KeyAccess.ScopesField;

    /// <summary>Each with what it opens (<c>Gateway:Scopes:&lt;scope&gt;:Description</c>), in order.</summary>
    public IReadOnlyList<ScopeDescription> All() =>
    [
        .. proxy.GetRoutes()
            .Select(r => r.Config.Metadata?.GetValueOrDefault(GatewayRoutes.ScopeMetadata))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(s => new ScopeDescription(s, GatewayRoutes.ResourceOf(s), configuration[$"{GatewaySetup.SectionName}:Scopes:{s}:Description"] is { Length: > 0 } d ? d : null)),
    ];

    /// <summary>The catalogue by resource (<c>orders</c> for <c>orders:read</c>), as the portal's checklist groups it.</summary>
    public IReadOnlyList<IGrouping<string, ScopeDescription>> ByResource() => [.. All().GroupBy(s => s.Resource, StringComparer.Ordinal)];

    /// <summary>
    /// A choice of scopes checked against the catalogue: null stays null (full access); an empty choice or a scope no
    /// route names is refused, naming it.
    /// </summary>
    public ValidationErrors Check(KeyAccess? access)
    {
        var errors = new ValidationErrors();
        if (access?.Scopes is not { } scopes)
        {
            return errors;
        }

        if (scopes.Count == 0)
        {
            return errors.Add(Field, "Choose at least one scope, or give the key full access.");
        }

        var known = All().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = scopes.Where(s => !known.Contains(s)).Distinct(StringComparer.Ordinal).Take(5).ToList();
        if (unknown.Count > 0)
        {
            var shown = string.Join(", ", unknown.Select(s => s is { Length: <= GatewayRoutes.MaxScopeLength } ? $"'{s}'" : "one longer than a scope can be"));
            errors.Add(Field, known.Count == 0
                ? $"No scope exists here ({shown} was asked for): the data API's routes name none, so a key can only have full access."
                : $"There is no scope {shown}. The scopes are: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
        }

        return errors;
    }
}
