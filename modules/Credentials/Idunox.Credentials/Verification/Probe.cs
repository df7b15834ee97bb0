using Idunox.Shared.Errors;
using Idunox.Credentials.Contracts;
using Idunox.Shared.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary><c>GET /v1/partner-auth-probe</c>: the data API's first call — who am I with this key?</summary>
internal static class Probe
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        // Read at the request, not here: a setting that breaks its rules is reported when the host starts, in one line.
        var policy = routes.ServiceProvider.GetRequiredService<IOptions<KeyPolicyOptions>>();
        routes.MapGet("/v1/partner-auth-probe", (HttpContext http) => Handle(http, policy))
            .WithName("PartnerAuthProbe")
            .WithTags("Data API")
            .WithSummary("Answers who you are with the key in X-Api-Key; the first call of every integration.")
            .WithExamples(null, new ProbeResponse(true, "live", new ProbeTenant(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a22"), "Acme Logistics"),
                new ProbeCredential(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b"), "idx_live_Ab12Cd34…", Keys.ApiKeyStatus.Active,
                    new DateTime(2027, 1, 31, 9, 30, 0, DateTimeKind.Utc), Keys.KeyScopes.Restricted, ["orders:read"])))
            .RequireApiKey();
    }

    private static JsonAnswer<ProbeResponse> Handle(HttpContext http, IOptions<KeyPolicyOptions> policy)
    {
        var verification = http.Features.GetRequiredFeature<Verification>();
        var key = verification.Key!;
        return new JsonAnswer<ProbeResponse>(new ProbeResponse(
            true,
            policy.Value.Environment,
            new ProbeTenant(verification.Organisation!.Id, verification.Organisation.Name),
            new ProbeCredential(key.Id, key.Prefix + Keys.ApiKeyFormat.Ellipsis, verification.Status!.Value, key.ExpiresAt,
                key.Scopes is null ? Keys.KeyScopes.Full : Keys.KeyScopes.Restricted, key.ScopeList ?? [])));
    }
}

internal sealed record ProbeResponse(bool Authenticated, string Environment, ProbeTenant Tenant, ProbeCredential Credential);

internal sealed record ProbeTenant(Guid Id, string Name);

/// <summary>The key: masked, its status, expiry, and what it may call (<c>access</c> full, or restricted to <c>scopes</c>).</summary>
internal sealed record ProbeCredential(Guid Id, string Prefix, Keys.ApiKeyStatus Status, DateTime ExpiresAt, string Access, IReadOnlyList<string> Scopes);
