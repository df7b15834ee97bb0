using System.Diagnostics.Metrics;
using Idunox.Shared.Observability;

namespace Idunox.Identity;

/// <summary>The meter <c>Idunox.Identity</c>: sign-ins by who signs in (partner, staff) and outcome (succeeded, or the refusal's code).</summary>
internal sealed class IdentityMetrics(IMeterFactory meters)
{
    public const string Succeeded = "succeeded";

    private readonly Counter<long> _signIns = IdunoxTelemetry.Meter(meters, "Identity").CreateCounter<long>("idunox.sign_ins", "{sign-in}",
        "Sign-in attempts by who (partner; staff: the password step) and outcome: succeeded, invalid_credentials, too_many_attempts, validation_failed.");

    public void SignIn(string who, string outcome) =>
        _signIns.Add(1, IdunoxTelemetry.Tag("who", who), IdunoxTelemetry.Tag("outcome", outcome));
}
