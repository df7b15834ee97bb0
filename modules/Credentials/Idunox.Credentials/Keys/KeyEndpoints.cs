using Idunox.Credentials.Contracts;
using Idunox.Shared;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys;

/// <summary>
/// The portal's key routes, for the signed-in partner's own organisation only. Each route's handler lives with its use
/// case (<see cref="ListKeys"/>, <see cref="CreateKey"/>, <see cref="RotateKey"/>, <see cref="RevokeKey"/>).
/// </summary>
internal static class KeyEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var keys = routes.MapGroup("/v1/partner/credentials")
            .WithTags("API keys")
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        keys.MapGet("", ListKeys.Handle).WithName("ListCredentials")
            .WithSummary("Your organisation's keys, newest first, masked, with their status now: by default those that work and those " +
                "that stopped in the last 30 days (status=all for every key; status=active,grace… to choose; q= to search by name or prefix).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        keys.MapGet("/{id}", Get).WithName("GetCredential")
            .WithSummary("One key of your organisation.").ProducesProblem(StatusCodes.Status404NotFound);
        keys.MapPost("", CreateKey.Handle).WithName("CreateCredential")
            .WithSummary("Create a key. The answer carries the plaintext key, once; it is never shown again.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapPost("/{id}/rotate", RotateKey.Handle).WithName("RotateCredential")
            .WithSummary("Issue a successor; the old key keeps working for 24, 48 or 72 hours (never past its own expiry). " +
                "A key whose predecessor is still in its grace period cannot be rotated until that one is revoked or its grace ends.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapPost("/{id}/revoke", RevokeKey.Handle).WithName("RevokeCredential")
            .WithSummary("Revoke a key: it stops working at once, also during grace. Revoking twice changes nothing.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Get(string id, KeyStore store, CancellationToken ct)
    {
        var key = Guid.TryParse(id, out var keyId) ? await store.Db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == keyId, ct) : null;
        return key is null
            ? KeyFailures.NotFound.ToProblem()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, store.Now, store.Policy.ExpiringThresholdDays)));
    }

    internal static Actor ActorOf(HttpContext http) => new(
        Actor.Partner,
        Guid.TryParse(http.User.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id) ? id : null,
        http.User.FindFirst(IdunoxClaimTypes.Email)?.Value ?? "unknown");

    internal static string? ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    /// <summary>An answer carrying a plaintext key is never stored by a browser or a proxy.</summary>
    internal static void DoNotStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
    }
}
