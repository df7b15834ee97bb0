using System.Collections;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Idunox.Shared.Observability;

/// <summary>
/// The names of the product's own telemetry. Each module has a meter of its own, named <c>Idunox.&lt;Module&gt;</c>; the
/// host exports every meter and activity source whose name starts with <see cref="Prefix"/>. Tags are low-cardinality
/// (an outcome, a job, a kind of change): never a tenant, a key, a user or an address.
/// </summary>
public static class IdunoxTelemetry
{
    public const string Prefix = "Idunox";

    /// <summary>Spans of the recurring jobs (one a run) and of the outbox's deliveries.</summary>
    public static readonly ActivitySource Jobs = new("Idunox.Jobs");

    /// <summary>A meter of <paramref name="factory"/> named <c>Idunox.&lt;module&gt;</c>.</summary>
    public static Meter Meter(IMeterFactory factory, string module) => factory.Create($"{Prefix}.{module}");

    /// <summary>One tag, as the instruments take it.</summary>
    public static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}

/// <summary>
/// The tenant (and the API key) a log line was written for, as a logging scope: JSON console lines then carry
/// <c>TenantId</c> and <c>KeyId</c> next to the trace id. Ids only — never a key, a token, a password or an e-mail.
/// </summary>
public sealed class TenantLogScope(Guid tenantId, Guid? keyId = null) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => keyId is null ? 1 : 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("TenantId", tenantId),
        1 when keyId is not null => new("KeyId", keyId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => keyId is null ? $"TenantId:{tenantId}" : $"TenantId:{tenantId} KeyId:{keyId}";
}
