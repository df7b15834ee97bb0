using System.Diagnostics.Metrics;
using Idunox.Shared.Observability;

namespace Idunox.Notifications;

/// <summary>
/// The meter <c>Idunox.Notifications</c>: e-mails accepted by the mail server and attempts that failed (to be retried),
/// by kind (expiry-reminder, key-created, …). What waits in the queue is observed by the host (<c>idunox.emails.pending</c>).
/// </summary>
internal sealed class NotificationsMetrics
{
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;

    public NotificationsMetrics(IMeterFactory meters)
    {
        var meter = IdunoxTelemetry.Meter(meters, "Notifications");
        _sent = meter.CreateCounter<long>("idunox.emails.sent", "{email}", "E-mails accepted by the mail server (or written to the pickup folder), by kind.");
        _failed = meter.CreateCounter<long>("idunox.emails.failed", "{email}", "E-mail sending attempts that failed and wait for a retry, by kind.");
    }

    public void Sent(string kind) => _sent.Add(1, IdunoxTelemetry.Tag("kind", kind));

    public void Failed(string kind) => _failed.Add(1, IdunoxTelemetry.Tag("kind", kind));
}
