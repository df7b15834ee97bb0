using System.Security.Claims;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Shared;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Persistence;
using Idunox.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Host.Tests;

public sealed class TenancyTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private static readonly string[] TenantFilter = [ModuleDbContext.TenantFilter];

    [Fact]
    public async Task The_tenant_filter_shows_each_tenant_only_its_own_rows()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var keyOfA = await AddKeyAsync(a, "a-key");
        var keyOfB = await AddKeyAsync(b, "b-key");

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();

        using (tenant.Use(a))
        {
            var visible = await db.ApiKeys.Where(k => k.Id == keyOfA || k.Id == keyOfB).Select(k => k.Id).ToListAsync();
            Assert.Equal([keyOfA], visible);
            Assert.Null(await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyOfB));
        }

        using (tenant.Use(b))
        {
            Assert.Equal([keyOfB], await db.ApiKeys.Where(k => k.Id == keyOfA || k.Id == keyOfB).Select(k => k.Id).ToListAsync());
        }

        // Without a tenant nothing is visible: the filter fails closed.
        Assert.False(await db.ApiKeys.AnyAsync(k => k.Id == keyOfA || k.Id == keyOfB));

        // Only a deliberate, named opt-out sees across tenants (staff area, jobs).
        var all = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).Where(k => k.Id == keyOfA || k.Id == keyOfB).CountAsync();
        Assert.Equal(2, all);
    }

    [Fact]
    public async Task Saving_a_row_into_another_tenant_fails_and_writes_nothing()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();

        using (tenant.Use(a))
        {
            var foreign = NewKey("foreign");
            foreign.TenantId = b;
            db.ApiKeys.Add(foreign);
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            Assert.False(await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AnyAsync(k => k.Id == foreign.Id));
        }
    }

    [Fact]
    public async Task Changing_or_deleting_another_tenants_row_fails()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var keyOfB = await AddKeyAsync(b, "b-key");
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();

        using (tenant.Use(a))
        {
            var row = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).SingleAsync(k => k.Id == keyOfB);
            row.Name = "stolen";
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();

            row = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).SingleAsync(k => k.Id == keyOfB);
            row.TenantId = a; // moving it into my tenant is as forbidden as writing into theirs
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();

            db.ApiKeys.Remove(await db.ApiKeys.IgnoreQueryFilters(TenantFilter).SingleAsync(k => k.Id == keyOfB));
            await Assert.ThrowsAsync<CrossTenantWriteException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
        }

        var unchanged = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AsNoTracking().SingleAsync(k => k.Id == keyOfB);
        Assert.Equal(("b-key", b), (unchanged.Name, unchanged.TenantId));
    }

    [Fact]
    public async Task Saving_tenant_owned_rows_without_a_tenant_fails_and_a_new_row_takes_the_current_tenant()
    {
        var a = Guid.NewGuid();
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();

        db.ApiKeys.Add(NewKey("orphan"));
        await Assert.ThrowsAsync<CrossTenantWriteException>(() => db.SaveChangesAsync());
        db.ChangeTracker.Clear();

        using (tenant.Use(a))
        {
            var key = NewKey("mine");
            db.ApiKeys.Add(key);
            await db.SaveChangesAsync();
            Assert.Equal(a, key.TenantId);
        }
    }

    [Fact]
    public async Task Strategies_take_the_tenant_claim_only_from_their_own_authentication_scheme()
    {
        var tenantId = Guid.NewGuid();
        var jwt = new AuthenticatedClaimTenantStrategy("Bearer", TenantSources.Jwt);
        var apiKey = new AuthenticatedClaimTenantStrategy("ApiKey", TenantSources.ApiKey);

        var bearerRequest = RequestWith(new ClaimsIdentity([new Claim(IdunoxClaimTypes.Tenant, tenantId.ToString())], "Bearer"));
        Assert.Equal(tenantId, await jwt.ResolveAsync(bearerRequest));
        Assert.Null(await apiKey.ResolveAsync(bearerRequest));

        var keyRequest = RequestWith(new ClaimsIdentity([new Claim(IdunoxClaimTypes.Tenant, tenantId.ToString())], "ApiKey"));
        Assert.Equal(tenantId, await apiKey.ResolveAsync(keyRequest));
        Assert.Null(await jwt.ResolveAsync(keyRequest));

        // Unauthenticated identities, missing and malformed claims resolve nothing.
        Assert.Null(await jwt.ResolveAsync(RequestWith(new ClaimsIdentity([new Claim(IdunoxClaimTypes.Tenant, tenantId.ToString())]))));
        Assert.Null(await jwt.ResolveAsync(RequestWith(new ClaimsIdentity([], "Bearer"))));
        Assert.Null(await jwt.ResolveAsync(RequestWith(new ClaimsIdentity([new Claim(IdunoxClaimTypes.Tenant, "not-a-guid")], "Bearer"))));
        Assert.Null(await jwt.ResolveAsync(RequestWith(new ClaimsIdentity([new Claim(IdunoxClaimTypes.Tenant, Guid.Empty.ToString())], "Bearer"))));
    }

    [Fact]
    public async Task The_middleware_sets_the_tenant_from_the_first_strategy_that_knows_it()
    {
        var tenantId = Guid.NewGuid();
        var context = new TenantContext();
        ITenantContext? seen = null;
        var middleware = new TenantResolutionMiddleware(_ =>
        {
            seen = context;
            return Task.CompletedTask;
        }, Microsoft.Extensions.Logging.Abstractions.NullLogger<TenantResolutionMiddleware>.Instance);
        var request = RequestWith(new ClaimsIdentity([new Claim(IdunoxClaimTypes.Tenant, tenantId.ToString())], "ApiKey"));

        await middleware.InvokeAsync(request, context,
        [
            new AuthenticatedClaimTenantStrategy("Bearer", TenantSources.Jwt),
            new AuthenticatedClaimTenantStrategy("ApiKey", TenantSources.ApiKey),
        ]);

        Assert.Equal((tenantId, TenantSources.ApiKey), (seen?.TenantId, seen?.Source));
    }

    [Fact]
    public void An_explicit_tenant_lasts_until_its_scope_ends()
    {
        var (outer, inner) = (Guid.NewGuid(), Guid.NewGuid());
        var context = new TenantContext();
        using (context.Use(outer))
        {
            using (context.Use(inner))
            {
                Assert.Equal((inner, TenantSources.Explicit), (context.TenantId, context.Source));
            }

            Assert.Equal(outer, context.TenantId);
        }

        Assert.Null(context.TenantId);
        Assert.Throws<ArgumentException>(() => context.Use(Guid.Empty));
    }

    private async Task<Guid> AddKeyAsync(Guid tenantId, string name)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        using var _ = scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenantId);
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        var key = NewKey(name);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        return key.Id;
    }

    private static ApiKey NewKey(string name) => new()
    {
        Id = Guid.NewGuid(),
        Name = name,
        Prefix = "idx_test_Ab12Cd34",
        Hash = Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray(),
        CreatedAt = IdunoxApp.Epoch.UtcDateTime,
        CreatedBy = "tenancy@test",
        ExpiresAt = IdunoxApp.Epoch.UtcDateTime.AddDays(365),
    };

    private static DefaultHttpContext RequestWith(ClaimsIdentity identity) => new() { User = new ClaimsPrincipal(identity) };
}
