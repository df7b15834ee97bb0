using Idunox.Credentials.Contracts;

namespace Idunox.Credentials.Keys;

/// <summary>A key's access as the API and the audit trail tell it (the choice itself is <see cref="KeyAccess"/>).</summary>
internal static class KeyScopes
{
    public const string Full = KeyAccess.FullName;
    public const string Restricted = KeyAccess.RestrictedName;

    /// <summary>A page's form: the radio <c>access</c> and the boxes <c>scopes</c> of the AccessChoice component.</summary>
    public static KeyAccessChoice FromForm(Microsoft.AspNetCore.Http.HttpContext http)
    {
        var (access, ticked) = Idunox.Shared.Web.Components.AccessChoice.Read(http);
        return KeyAccessChoice.Of(access, ticked);
    }

    /// <summary>The checklist's options: the catalogue as the AccessChoice component shows it.</summary>
    public static IReadOnlyList<Idunox.Shared.Web.Components.AccessChoice.Option> Options(IEnumerable<ScopeDescription> scopes) =>
        [.. scopes.Select(s => new Idunox.Shared.Web.Components.AccessChoice.Option(s.Name, s.Resource, s.Description))];

    /// <summary>The stored form (<see cref="ApiKey.Scopes"/>): null for full access, else sorted and separated by spaces.</summary>
    public static string? Stored(KeyAccess access) => ApiKey.StoredScopes(access.Scopes);

    /// <summary>For the audit trail: "full access" or "scopes a, b" (shortened to fit).</summary>
    public static string Describe(string? stored)
    {
        if (stored is null)
        {
            return "full access";
        }

        var text = "scopes " + stored.Replace(" ", ", ", StringComparison.Ordinal);
        return text.Length <= 200 ? text : text[..197] + "…";
    }
}
