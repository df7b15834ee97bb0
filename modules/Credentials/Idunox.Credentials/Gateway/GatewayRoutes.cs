using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;

namespace Idunox.Credentials.Gateway;

/// <summary>
/// The rules a gateway route must keep, checked at start and at every configuration reload: a path under <c>/v1/</c>
/// that takes none of the platform's own, a well-formed <c>Metadata:Scope</c>, and no <c>Metadata:KeyCheck</c> outside the
/// benchmark's environment.
/// </summary>
internal static partial class GatewayRoutes
{
    /// <summary>The paths gateway routes live under, and the platform's own paths there that no route may take.</summary>
    public const string RoutePrefix = "/v1/";

    /// <summary>Route metadata: the scope a key needs for the route (none: any valid key).</summary>
    public const string ScopeMetadata = "Scope";

    /// <summary>
    /// Route metadata <c>KeyCheck: none</c>: the route is proxied without the key gate. Only in the environment
    /// <see cref="BenchmarkEnvironment"/>, where <c>build/bench.sh gateway</c> measures bare YARP in the same host beside
    /// the gateway; every other environment refuses such a route at start.
    /// </summary>
    public const string KeyCheckMetadata = "KeyCheck";

    public const string BenchmarkEnvironment = "Benchmark";

    public const int MaxScopeLength = 64;

    private static readonly string[] PlatformPaths = ["/v1/partner", "/v1/partner-auth-probe"];

    /// <summary>Why a route may not be served, or null.</summary>
    public static string? Refusal(string routeId, string? path, IReadOnlyDictionary<string, string>? metadata, IHostEnvironment environment)
    {
        if (string.IsNullOrEmpty(path) || !path.StartsWith(RoutePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return $"Gateway route '{routeId}' must match a path under {RoutePrefix} (Gateway:Routes:{routeId}:Match:Path is '{path}').";
        }

        var literal = path.Split('{')[0];
        foreach (var platform in PlatformPaths)
        {
            if (literal.StartsWith(platform, StringComparison.OrdinalIgnoreCase) || platform.StartsWith(literal.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            {
                return $"Gateway route '{routeId}' ({path}) would take the platform's own {platform}: choose another path.";
            }
        }

        if (metadata is not null && metadata.TryGetValue(ScopeMetadata, out var scope) && !IsScope(scope))
        {
            return $"Gateway route '{routeId}' names the scope '{scope}': a scope is a resource and an action in lower case, such as " +
                $"orders:read (letters, digits, '_', '-' and '.', parts separated by ':', at most {MaxScopeLength} characters).";
        }

        if (metadata is not null && metadata.TryGetValue(KeyCheckMetadata, out var keyCheck)
            && !(keyCheck == "none" && environment.IsEnvironment(BenchmarkEnvironment)))
        {
            return $"Gateway route '{routeId}' sets Metadata:KeyCheck: every gateway route checks the key (only the benchmark's own environment may turn that off).";
        }

        return null;
    }

    public static bool IsScope(string? scope) => scope is { Length: > 0 and <= MaxScopeLength } && ScopeShape().IsMatch(scope);

    /// <summary>The resource a scope belongs to (what the portal groups scopes by): its part before the first ':'.</summary>
    public static string ResourceOf(string scope) => scope.Split(':')[0];

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]*(:[a-z0-9][a-z0-9_.-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ScopeShape();
}
