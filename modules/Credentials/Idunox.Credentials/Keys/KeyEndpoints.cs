using Idunox.Credentials.Contracts;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Keys;

/// <summary>The portal's key endpoints, for the signed-in partner's own organisation only.</summary>
internal static class KeyEndpoints
{
    public const string KeyNotFound = "key_not_found";
    public const string KeyNotRotatable = "key_not_rotatable";
    public const string KeyLimitReached = "key_limit_reached";

    public static void Map(IEndpointRouteBuilder routes)
    {
        var keys = routes.MapGroup("/v1/partner/credentials")
            .WithTags("API keys")
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        keys.MapGet("", List).WithName("ListCredentials")
            .WithSummary("Every key of your organisation, newest first, masked, with its status now.");
        keys.MapGet("/{id}", Get).WithName("GetCredential")
            .WithSummary("One key of your organisation.").ProducesProblem(StatusCodes.Status404NotFound);
        keys.MapPost("", Create).WithName("CreateCredential")
            .WithSummary("Create a key. The answer carries the plaintext key, once; it is never shown again.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapPost("/{id}/rotate", Rotate).WithName("RotateCredential")
            .WithSummary("Issue a successor; the old key keeps working for 24, 48 or 72 hours (never past its own expiry).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapPost("/{id}/revoke", Revoke).WithName("RevokeCredential")
            .WithSummary("Revoke a key: it stops working at once, also during grace. Revoking twice changes nothing.")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    internal static async Task<Ok<CredentialListResponse>> List(KeyLifecycle keys, IOptions<KeyPolicyOptions> policy, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var items = await keys.ListAsync(ct);
        return TypedResults.Ok(new CredentialListResponse(items.Select(k => CredentialResponse.From(k, now, policy.Value.ExpiringThresholdDays)).ToList()));
    }

    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Get(
        string id, KeyLifecycle keys, IOptions<KeyPolicyOptions> policy, TimeProvider clock, CancellationToken ct)
    {
        var key = Guid.TryParse(id, out var keyId) ? await keys.FindAsync(keyId, ct) : null;
        return key is null
            ? NotFound()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, clock.GetUtcNow().UtcDateTime, policy.Value.ExpiringThresholdDays)));
    }

    internal static async Task<Results<Created<CreatedCredentialResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateCredentialRequest request, HttpContext http, KeyLifecycle keys, IOptions<KeyPolicyOptions> policy, TimeProvider clock, CancellationToken ct)
    {
        var name = request.Name?.Trim();
        var days = request.ExpiresInDays ?? policy.Value.DefaultValidityDays;
        var errors = ValidateName(name)
            .When(days < 1 || days > policy.Value.MaxValidityDays, "expiresInDays", $"Give a whole number of days from 1 to {policy.Value.MaxValidityDays}.");
        if (!errors.IsValid)
        {
            return ApiProblems.Validation(errors.ToDictionary());
        }

        var result = await keys.CreateAsync(name!, days, ActorOf(http), ClientAddress(http), ct);
        if (result.Value is not { } issued)
        {
            return ApiProblems.Create(StatusCodes.Status409Conflict, KeyLimitReached, "Your organisation has as many keys as it may.",
                $"An organisation may hold {policy.Value.MaxActiveKeysPerTenant} usable keys. Revoke one you no longer need, then create a new one.");
        }

        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return TypedResults.Created($"/v1/partner/credentials/{issued.Key.Id}",
            new CreatedCredentialResponse(issued.Plaintext, CredentialResponse.From(issued.Key, clock.GetUtcNow().UtcDateTime, policy.Value.ExpiringThresholdDays)));
    }

    internal static async Task<Results<Created<RotatedCredentialResponse>, ValidationProblem, ProblemHttpResult>> Rotate(
        string id, RotateCredentialRequest? request, HttpContext http, KeyLifecycle keys, IOptions<KeyPolicyOptions> policy, TimeProvider clock, CancellationToken ct)
    {
        var grace = request?.GraceHours ?? KeyPolicyOptions.DefaultGraceHours;
        if (!KeyPolicyOptions.GraceHoursOptions.Contains(grace))
        {
            return ApiProblems.Validation(new Dictionary<string, string[]>
            {
                ["graceHours"] = [$"The grace period is {string.Join(", ", KeyPolicyOptions.GraceHoursOptions)} hours."],
            });
        }

        if (!Guid.TryParse(id, out var keyId))
        {
            return NotFound();
        }

        var result = await keys.RotateAsync(keyId, grace, ActorOf(http), ClientAddress(http), ct);
        if (result.Value is not { } rotated)
        {
            return result.Error == LifecycleError.NotFound
                ? NotFound()
                : ApiProblems.Create(StatusCodes.Status409Conflict, KeyNotRotatable, "This key cannot be rotated.",
                    "Only active and expiring keys rotate. A key that was already rotated, revoked or has expired cannot be.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var threshold = policy.Value.ExpiringThresholdDays;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return TypedResults.Created($"/v1/partner/credentials/{rotated.Successor.Key.Id}", new RotatedCredentialResponse(
            rotated.Successor.Plaintext,
            CredentialResponse.From(rotated.Successor.Key, now, threshold),
            CredentialResponse.From(rotated.Previous, now, threshold)));
    }

    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Revoke(
        string id, HttpContext http, KeyLifecycle keys, IOptions<KeyPolicyOptions> policy, TimeProvider clock, CancellationToken ct)
    {
        var result = Guid.TryParse(id, out var keyId) ? await keys.RevokeAsync(keyId, ActorOf(http), ClientAddress(http), ct) : null;
        return result?.Value is not { } key
            ? NotFound()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, clock.GetUtcNow().UtcDateTime, policy.Value.ExpiringThresholdDays)));
    }

    private static ValidationErrors ValidateName(string? name) => new ValidationErrors()
        .When(string.IsNullOrEmpty(name), "name", "Give the key a name, e.g. the system that will use it.")
        .When(name is { Length: > ApiKey.MaxNameLength }, "name", $"The name may be at most {ApiKey.MaxNameLength} characters.")
        .When(name is not null && name.Any(char.IsControl), "name", "The name may not contain control characters.");

    /// <summary>Unknown and other organisations' keys get the very same answer.</summary>
    private static ProblemHttpResult NotFound() =>
        ApiProblems.Create(StatusCodes.Status404NotFound, KeyNotFound, "No such key.", "Your organisation has no key with this id.");

    internal static Actor ActorOf(HttpContext http) => new(
        Actor.Partner,
        Guid.TryParse(http.User.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id) ? id : null,
        http.User.FindFirst(IdunoxClaimTypes.Email)?.Value ?? "unknown");

    internal static string? ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();
}

internal sealed record CreateCredentialRequest(string? Name, int? ExpiresInDays);

internal sealed record RotateCredentialRequest(int? GraceHours);
