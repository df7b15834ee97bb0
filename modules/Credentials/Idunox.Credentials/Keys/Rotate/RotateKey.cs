using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Gateway;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys.Rotate;

/// <summary>
/// A partner rotates a key: a successor with a fresh validity, while the old key keeps working for 24, 48 or 72 hours
/// (the rules every rotation shares are in <see cref="KeyRotation"/>).
/// </summary>
internal sealed class RotateKey(KeyStore store, KeyRotation rotation, CredentialsMetrics metrics, ILogger<RotateKey> logger)
{
    public KeyPolicyOptions Policy => store.Policy;

    /// <summary>The scopes a key can be restricted to, for the form.</summary>
    public ScopeCatalogue Scopes => rotation.Scopes;

    /// <remarks><paramref name="access"/>: what the successor may call (null: what the old key may).</remarks>
    public async Task<Outcome<RotatedKey>> RunAsync(Guid id, int? graceHours, KeyAccess? access, Actor actor, string? clientAddress,
        CancellationToken cancellationToken)
    {
        var started = await rotation.StartAsync(id, graceHours, access, cancellationToken);
        if (started.Value is not { } rotating)
        {
            return started.Failure!;
        }

        await using var _ = rotating;
        var (previous, now) = (rotating.Previous, rotating.Now);
        var (successor, plaintext) = store.NewKey(previous.Name, now, store.Policy.DefaultValidityDays, actor, rotatedFrom: previous.Id, rotating.SuccessorScopes);
        (successor.IpAllowMode, successor.IpAllowList) = (previous.IpAllowMode, previous.IpAllowList); // restrictions go with the key
        successor.RateLimit = previous.RateLimit;
        previous.ReplacedById = successor.Id;
        store.Db.ApiKeys.Add(successor);
        store.Audit(AuditActions.KeyRotated, previous, now, actor, clientAddress,
            $"grace {rotating.GraceHours}h until {previous.GraceEndsAt:yyyy-MM-dd HH:mm} UTC, successor {successor.Prefix}{ApiKeyFormat.Ellipsis}" +
            rotating.ScopeChange);
        store.Audit(AuditActions.KeyCreated, successor, now, actor, clientAddress, $"successor of {previous.Prefix}{ApiKeyFormat.Ellipsis}", position: 1);
        store.Db.Publish(new ApiKeyRotated(Guid.CreateVersion7(), previous.TenantId, now, KeyStore.Reference(previous), KeyStore.Reference(successor),
            previous.GraceEndsAt!.Value, actor));
        if (await rotation.CommitAsync(rotating, cancellationToken) is { } lost)
        {
            return lost;
        }

        metrics.Changed("rotated");
        logger.LogInformation("API key {KeyId} ({Prefix}) rotated to {SuccessorId} in tenant {TenantId}, grace until {GraceEndsAt}",
            previous.Id, previous.Prefix, successor.Id, previous.TenantId, previous.GraceEndsAt);
        return Outcome<RotatedKey>.Ok(new RotatedKey(new IssuedKey(successor, plaintext), previous));
    }

    /// <summary><c>POST /v1/partner/credentials/{id}/rotate</c>.</summary>
    internal static async Task<Results<Created<RotatedCredentialResponse>, ProblemHttpResult>> Handle(
        string id, RotateCredentialRequest? request, HttpContext http, RotateKey rotateKey, KeyStore store, CancellationToken ct)
    {
        var grace = request?.GraceHours;
        var errors = new ValidationErrors();
        var access = KeyAccess.Parse(request?.Access, request?.Scopes, errors);
        var outcome = !errors.IsValid ? UseCaseFailure.Invalid(errors)
            : Guid.TryParse(id, out var keyId)
            ? await rotateKey.RunAsync(keyId, grace, access, PartnerCaller.ActorOf(http), PartnerCaller.AddressOf(http), ct)
            : KeyRotation.CheckGrace(grace) ?? KeyFailures.NotFound; // a wrong grace is a 400 for any id
        if (outcome.Value is not { } rotated)
        {
            return outcome.Failure!.ToProblem();
        }

        var now = store.Now;
        var threshold = store.Policy.ExpiringThresholdDays;
        return TypedResults.Created($"/v1/partner/credentials/{rotated.Successor.Key.Id}", new RotatedCredentialResponse(
            rotated.Successor.Plaintext,
            CredentialResponse.From(rotated.Successor.Key, now, threshold),
            CredentialResponse.From(rotated.Previous, now, threshold)));
    }
}

internal sealed record RotatedKey(IssuedKey Successor, ApiKey Previous);

/// <summary>
/// The body of POST …/rotate (optional): how long the old key keeps working, 24 (default), 48 or 72 hours, and what the
/// new key may call (default: what the old key may; <c>access: full</c> or <c>scopes</c> to change it).
/// </summary>
internal sealed record RotateCredentialRequest(
    [property: System.ComponentModel.DataAnnotations.AllowedValues(24, 48, 72)] int? GraceHours = null,
    [property: System.ComponentModel.DataAnnotations.AllowedValues(KeyScopes.Full, KeyScopes.Restricted, null)] string? Access = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(100)] IReadOnlyList<string>? Scopes = null) : IApiRequest;
