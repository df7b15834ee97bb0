using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Idunox.Shared.MultiTenancy;

public static class MultiTenancyServiceCollectionExtensions
{
    /// <summary>The scoped tenant context, readable as <see cref="ITenantContext"/> everywhere.</summary>
    public static IServiceCollection AddTenantContext(this IServiceCollection services)
    {
        services.TryAddScoped<TenantContext>();
        services.TryAddScoped<ITenantContext>(sp => sp.GetRequiredService<TenantContext>());
        return services;
    }

    /// <summary>Adds a strategy that takes the tenant claim of principals authenticated by <paramref name="authenticationType"/>.</summary>
    public static IServiceCollection AddClaimTenantStrategy(this IServiceCollection services, string authenticationType, string source)
    {
        services.AddTenantContext();
        services.AddSingleton<ITenantResolutionStrategy>(new AuthenticatedClaimTenantStrategy(authenticationType, source));
        return services;
    }

    public static IApplicationBuilder UseTenantResolution(this IApplicationBuilder app) =>
        app.UseMiddleware<TenantResolutionMiddleware>();
}
