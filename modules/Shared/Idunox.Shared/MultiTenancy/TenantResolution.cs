using System.Security.Claims;
using Idunox.Shared.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Idunox.Shared.MultiTenancy;

/// <summary>One way of finding the tenant of an HTTP request. Strategies run in registration order; the first answer wins.</summary>
public interface ITenantResolutionStrategy
{
    ValueTask<Guid?> ResolveAsync(HttpContext context);

    /// <summary>The <see cref="ITenantContext.Source"/> recorded when this strategy answers.</summary>
    string Source { get; }
}

/// <summary>
/// Reads the <c>tenant</c> claim of a principal that one named authentication scheme authenticated. The portal's JWT
/// scheme and the data API's API-key scheme both put the tenant there, so each is one instance of this strategy.
/// </summary>
public sealed class AuthenticatedClaimTenantStrategy(string authenticationType, string source) : ITenantResolutionStrategy
{
    public string Source => source;

    public ValueTask<Guid?> ResolveAsync(HttpContext context)
    {
        var identity = context.User.Identities.FirstOrDefault(i =>
            i.IsAuthenticated && string.Equals(i.AuthenticationType, authenticationType, StringComparison.Ordinal));
        return ValueTask.FromResult(ParseTenant(identity));
    }

    private static Guid? ParseTenant(ClaimsIdentity? identity) =>
        identity?.FindFirst(IdunoxClaimTypes.Tenant)?.Value is { } value && Guid.TryParse(value, out var id) && id != Guid.Empty
            ? id
            : null;
}

/// <summary>
/// Sets the scoped <see cref="TenantContext"/> from the first strategy that knows the tenant, and puts the tenant id in
/// the logging scope of the rest of the request. Runs after authentication.
/// </summary>
public sealed class TenantResolutionMiddleware(RequestDelegate next, ILogger<TenantResolutionMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, TenantContext tenant, IEnumerable<ITenantResolutionStrategy> strategies)
    {
        foreach (var strategy in strategies)
        {
            if (await strategy.ResolveAsync(context) is { } tenantId)
            {
                tenant.Set(tenantId, strategy.Source);
                using (logger.BeginScope(new TenantLogScope(tenantId)))
                {
                    await next(context);
                }

                return;
            }
        }

        await next(context);
    }
}
