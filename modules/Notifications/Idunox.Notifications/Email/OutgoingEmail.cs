namespace Idunox.Notifications.Email;

/// <summary>
/// An e-mail waiting to be sent, or sent. Written in the same transaction as the decision to send it (a reminder
/// recorded, an event handled) and delivered by the dispatcher with retries, so none is lost; its unique
/// <see cref="DedupeKey"/> stops the same notice being queued twice, however often the work that queues it runs.
/// </summary>
internal sealed class OutgoingEmail
{
    public Guid Id { get; init; }

    public Guid? TenantId { get; init; }

    /// <summary>What this message is about, e.g. <c>reminder:{key}:{days}:{user}</c>; unique.</summary>
    public required string DedupeKey { get; init; }

    /// <summary><c>expiry-reminder</c>, <c>key-created</c>, …</summary>
    public required string Kind { get; init; }

    public required string Recipient { get; init; }

    public required string Subject { get; init; }

    public required string TextBody { get; init; }

    public required string HtmlBody { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime? SentAt { get; set; }

    public int Attempts { get; set; }

    /// <summary>When the next attempt may start: a send under way holds a lease until then, a failed one waits for its retry.</summary>
    public DateTime NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    /// <summary>A rendered e-mail queued now, due at once.</summary>
    public static OutgoingEmail Queued(Guid? tenantId, string dedupeKey, string kind, string recipient, Templates.RenderedEmail email, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(),
        TenantId = tenantId,
        DedupeKey = dedupeKey,
        Kind = kind,
        Recipient = recipient,
        Subject = email.Subject,
        TextBody = email.Text,
        HtmlBody = email.Html,
        CreatedAt = now,
        NextAttemptAt = now,
    };
}
