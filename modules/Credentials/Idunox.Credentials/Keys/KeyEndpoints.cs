using Idunox.Shared.Errors;
using Idunox.Credentials.Contracts;
using Idunox.Shared;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Idunox.Credentials.Keys.Create;
using Idunox.Credentials.Keys.Handover;
using Idunox.Credentials.Keys.List;
using Idunox.Credentials.Keys.Revoke;
using Idunox.Credentials.Keys.Rotate;

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
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy);

        keys.MapGet("", ListKeys.Handle).WithName("ListCredentials")
            .WithSummary("Your organisation's keys, newest first, masked, with their status now: by default those that work and those " +
                "that stopped in the last 30 days (status=all for every key; status=active,grace… to choose; q= to search by name or prefix).")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed)
            .WithExamples(null, new { Items = new[] { KeyExamples.Credential }, Page = 1, PageSize = 50, Total = 1 });
        keys.MapGet("/handovers", HandOverKey.HandleList).WithName("ListCredentialHandovers")
            .WithSummary("Keys Idunox staff made for your organisation (when they rotated one of your keys on your behalf) that wait to be " +
                "collected. They have no secret yet and do not work until collected.")
            .WithExamples(null, new { Items = new[] { KeyExamples.Handover } });
        keys.MapPost("/handovers/{id}/collect", HandOverKey.HandleCollect).WithName("CollectCredential")
            .WithSummary("Collect a key Idunox staff made for you: it is generated now and works from now. The answer carries the plaintext " +
                "key, once, to you only; nobody at Idunox ever saw it.")
            .ProducesProblems(StatusCodes.Status404NotFound, HandOverKey.HandoverNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, HandOverKey.KeyAlreadyCollected)
            .WithExamples(null, new { ApiKey = KeyExamples.PlaintextKey, Credential = KeyExamples.Credential });
        keys.MapGet("/{id}", Get).WithName("GetCredential")
            .WithSummary("One key of your organisation.")
            .ProducesProblems(StatusCodes.Status404NotFound, KeyFailures.KeyNotFoundCode)
            .WithExamples(null, new { Credential = KeyExamples.Credential });
        keys.MapPost("", CreateKey.Handle).WithName("CreateCredential")
            .WithSummary("Create a key, with full access (the default) or restricted to some scopes of the data API (an unknown scope is a 400 naming it). " +
                "The answer carries the plaintext key, once; it is never shown again.")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed)
            .ProducesProblems(StatusCodes.Status409Conflict, CreateKey.KeyLimitReached)
            .WithExamples(new CreateCredentialRequest("orders feed", 90, Scopes: ["orders:read"]), new { ApiKey = KeyExamples.PlaintextKey, Credential = KeyExamples.Credential });
        keys.MapPost("/{id}/rotate", RotateKey.Handle).WithName("RotateCredential")
            .WithSummary("Issue a successor; the old key keeps working for 24, 48 or 72 hours (never past its own expiry). " +
                "A key whose predecessor is still in its grace period cannot be rotated until that one is revoked or its grace ends. " +
                "The successor may call what the old key may, unless access or scopes say otherwise.")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed)
            .ProducesProblems(StatusCodes.Status404NotFound, KeyFailures.KeyNotFoundCode)
            .ProducesProblems(StatusCodes.Status409Conflict, KeyRotation.KeyNotRotatable)
            .WithExamples(new RotateCredentialRequest(48), new { ApiKey = KeyExamples.PlaintextKey, Credential = KeyExamples.Credential, Previous = KeyExamples.InGrace });
        keys.MapGet("/{id}/ip-findings", Findings).WithName("ListCredentialIpFindings")
            .WithSummary("The addresses outside the key's IP allow-list that called with it while the list was in report mode: served, counted here " +
                "(requests, first and last seen; at most 50, latest first; kept 30 days after they were last seen).")
            .ProducesProblems(StatusCodes.Status404NotFound, KeyFailures.KeyNotFoundCode)
            .WithExamples(null, new IpFindingsResponse(IpAllowLists.Report, [new IpFindingResponse("198.51.100.23", 1204,
                new DateTime(2026, 11, 2, 9, 30, 0, DateTimeKind.Utc), new DateTime(2026, 11, 3, 17, 5, 0, DateTimeKind.Utc))]));
        keys.MapPatch("/{id}", Change.ChangeKey.Handle).WithName("ChangeCredential")
            .WithSummary("Change a key without rotating it: a JSON merge patch of name, access (full) or scopes (an array; null also means full access) and " +
                "expiresAt (later, within the longest a key may live from when it was made, or earlier). Members left out stay as they are; " +
                "an unknown member is a 400. Only active and expiring keys change; every server applies the change from the next request.")
            .Accepts<Change.CredentialPatchRequest>("application/merge-patch+json", "application/json")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, ProblemCodes.MalformedRequest)
            .ProducesProblems(StatusCodes.Status404NotFound, KeyFailures.KeyNotFoundCode)
            .ProducesProblems(StatusCodes.Status409Conflict, Change.ChangeKey.KeyNotChangeable)
            .ProducesProblems(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge)
            .ProducesProblems(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType)
            .WithExamples(new { name = "billing sync", scopes = new[] { "orders:read" }, rateLimit = new { perSecond = 50, perMinute = 2000 } }, new { Credential = KeyExamples.Credential });
        keys.MapPost("/{id}/revoke", RevokeKey.Handle).WithName("RevokeCredential")
            .WithSummary("Revoke a key: it stops working at once, also during grace. Revoking twice changes nothing.")
            .ProducesProblems(StatusCodes.Status404NotFound, KeyFailures.KeyNotFoundCode)
            .WithExamples(null, new { Credential = KeyExamples.Revoked });
    }

    internal static async Task<Results<Ok<IpFindingsResponse>, ProblemHttpResult>> Findings(string id, KeyQueries keys, CancellationToken ct)
    {
        var key = Guid.TryParse(id, out var keyId) ? await keys.FindAsync(keyId, ct) : null;
        return key is null
            ? KeyFailures.NotFound.ToProblem()
            : TypedResults.Ok(new IpFindingsResponse(key.IpAllowMode ?? IpAllowLists.Off, await keys.FindingsAsync(key.Id, ct)));
    }

    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Get(string id, KeyQueries keys, CancellationToken ct)
    {
        var key = Guid.TryParse(id, out var keyId) ? await keys.FindAsync(keyId, ct) : null;
        return key is null
            ? KeyFailures.NotFound.ToProblem()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, keys.Now, keys.Policy.ExpiringThresholdDays)));
    }
}

/// <summary>The examples of the OpenAPI document: one key as the API shows it, at its stages.</summary>
internal static class KeyExamples
{
    /// <summary>Shaped like a key (environment, body, checksum), never issued by any server.</summary>
    public const string PlaintextKey = "idx_live_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr7xYz9W";

    private static readonly DateTime Created = new(2026, 11, 2, 9, 30, 0, DateTimeKind.Utc);

    public static readonly CredentialResponse Credential = new(
        Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b"), "orders feed", "idx_live_Ab12Cd34…", ApiKeyStatus.Active, Created,
        "it@partner.example", Created.AddDays(90), 90, null, null, null, null, null, KeyScopes.Restricted, ["orders:read"],
        new IpAllowListResponse(IpAllowLists.Enforce, ["203.0.113.0/24", "2001:db8::/48"]), new Contracts.KeyRateLimit(50, 2000));

    public static readonly CredentialResponse InGrace = Credential with
    {
        Id = Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a00"), Prefix = "idx_live_Zz98Yy76…", Status = ApiKeyStatus.Grace,
        GraceEndsAt = Created.AddHours(48), ReplacedById = Credential.Id,
    };

    public static readonly HandoverResponse Handover = new(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a77"), "orders feed", InGrace.Id,
        InGrace.Prefix, InGrace.GraceEndsAt, Created, Created.AddDays(7), "Rotated at your request (support ticket 4711)");

    public static readonly CredentialResponse Revoked = Credential with { Status = ApiKeyStatus.Revoked, ExpiresInDays = null, RevokedAt = Created.AddDays(3) };
}
