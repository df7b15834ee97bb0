using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Gateway;
using Idunox.Shared.Errors;
using Idunox.Shared.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys.Create;

/// <summary>Creating a key: a name, a validity, and the organisation's key cap. The plaintext is answered once.</summary>
internal sealed class CreateKey(KeyStore store, ScopeCatalogue scopes, CredentialsMetrics metrics, ILogger<CreateKey> logger)
{
    public KeyPolicyOptions Policy => store.Policy;

    /// <summary>The scopes a key can be restricted to, for the form.</summary>
    public ScopeCatalogue Scopes => scopes;

    public const string KeyLimitReached = "key_limit_reached";

    public async Task<Outcome<IssuedKey>> RunAsync(CreateKeyCommand command, Actor actor, string? clientAddress, CancellationToken cancellationToken)
    {
        var policy = store.Policy;
        var name = command.Name?.Trim();
        var days = command.ExpiresInDays ?? policy.DefaultValidityDays;
        var errors = KeyNames.Validate(name)
            .When(days < 1 || days > policy.MaxValidityDays, "expiresInDays", $"Give a whole number of days from 1 to {policy.MaxValidityDays}.")
            .Merge(scopes.Check(command.Access));
        var (ipMode, ipEntries) = command.IpAllowList is { } ip ? IpAllowLists.Parse(ip.Mode, ip.Entries, errors) : (null, null);
        var rateLimit = command.RateLimit ?? KeyRateLimit.None;
        RateLimits.Check(rateLimit, errors);
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        await using var change = await store.BeginChangeAsync(cancellationToken);
        var now = store.Now;
        if (await store.CountUsableAsync(now, cancellationToken) >= policy.MaxActiveKeysPerTenant)
        {
            return new UseCaseFailure(FailureKind.Conflict, KeyLimitReached, "Your organisation has as many keys as it may.",
                $"An organisation may hold {policy.MaxActiveKeysPerTenant} usable keys. Revoke one you no longer need, then create a new one.");
        }

        var (key, plaintext) = store.NewKey(name!, now, days, actor, rotatedFrom: null, KeyScopes.Stored(command.Access ?? KeyAccess.Full));
        (key.IpAllowMode, key.IpAllowList) = (ipMode, ipEntries);
        key.RateLimit = rateLimit;
        store.Db.ApiKeys.Add(key);
        store.Audit(AuditActions.KeyCreated, key, now, actor, clientAddress,
            $"valid {days} days; {KeyScopes.Describe(key.Scopes)}{(ipMode is null ? "" : "; " + IpAllowLists.Describe(ipMode, ipEntries))}" +
            (rateLimit.IsNone ? "" : $"; rate limit {rateLimit}"));
        store.Db.Publish(new ApiKeyCreated(Guid.CreateVersion7(), key.TenantId, now, KeyStore.Reference(key), actor));
        await change.CommitAsync(cancellationToken);
        metrics.Changed("created");
        logger.LogInformation("API key {KeyId} ({Prefix}) created in tenant {TenantId} by {ActorType} {ActorId}",
            key.Id, key.Prefix, key.TenantId, actor.Type, actor.Id);
        return Outcome<IssuedKey>.Ok(new IssuedKey(key, plaintext));
    }

    /// <summary><c>POST /v1/partner/credentials</c>.</summary>
    internal static async Task<Results<Created<CreatedCredentialResponse>, ProblemHttpResult>> Handle(
        CreateCredentialRequest request, HttpContext http, CreateKey createKey, KeyStore store, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var access = KeyAccess.Parse(request.Access, request.Scopes, errors);
        var outcome = errors.IsValid
            ? await createKey.RunAsync(new CreateKeyCommand(request.Name, request.ExpiresInDays, access, request.IpAllowList, request.RateLimit), PartnerCaller.ActorOf(http),
                PartnerCaller.AddressOf(http), ct)
            : UseCaseFailure.Invalid(errors);
        if (outcome.Value is not { } issued)
        {
            return outcome.Failure!.ToProblem();
        }

        return TypedResults.Created($"/v1/partner/credentials/{issued.Key.Id}",
            new CreatedCredentialResponse(issued.Plaintext, CredentialResponse.From(issued.Key, store.Now, store.Policy.ExpiringThresholdDays)));
    }
}

/// <summary>A new key: its name, validity, and access (null: full access).</summary>
internal sealed record CreateKeyCommand(
    string? Name, int? ExpiresInDays, KeyAccess? Access = null, IpAllowListRequest? IpAllowList = null, KeyRateLimit? RateLimit = null);

/// <summary>
/// The body of POST /v1/partner/credentials: a name (required), a validity in days (optional, default 365), and what the
/// key may call (optional, default full access): <c>scopes</c> restricts it to those scopes of the data API.
/// </summary>
internal sealed record CreateCredentialRequest(
    [property: System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.StringLength(ApiKey.MaxNameLength, MinimumLength = 1)] string? Name,
    [property: System.ComponentModel.DataAnnotations.Range(1, 365)] int? ExpiresInDays = null,
    [property: System.ComponentModel.DataAnnotations.AllowedValues(KeyScopes.Full, KeyScopes.Restricted, null)] string? Access = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(100)] IReadOnlyList<string>? Scopes = null,
    IpAllowListRequest? IpAllowList = null,
    KeyRateLimit? RateLimit = null) : IApiRequest;

/// <summary>The rule for key names, shared by every surface that names a key.</summary>
internal static class KeyNames
{
    public static ValidationErrors Validate(string? name) => new ValidationErrors()
        .When(string.IsNullOrEmpty(name), "name", "Give the key a name, e.g. the system that will use it.")
        .When(name is { Length: > ApiKey.MaxNameLength }, "name", $"The name may be at most {ApiKey.MaxNameLength} characters.")
        .When(DisplayText.HasHiddenOrControlCharacters(name), "name",
            "The name may not contain control characters, invisible formatting characters or line separators.");
}
