namespace Idunox.Credentials.Contracts;

/// <summary>
/// Tells key verification that something it caches has changed outside the Credentials module (an organisation was
/// suspended or activated). The module making the change sends <see cref="OrganisationSignal"/> on its own connection
/// inside the change's transaction (PostgreSQL NOTIFY: every server hears it when, and only if, the change commits), then
/// calls <see cref="ForgetOrganisationHere"/> once it committed.
/// </summary>
public interface IKeyVerificationChanges
{
    /// <summary>The NOTIFY channel and payload that make every server forget an organisation's keys.</summary>
    KeyVerificationSignal OrganisationSignal(Guid tenantId);

    /// <summary>Forgets the organisation's keys on this server, at once.</summary>
    void ForgetOrganisationHere(Guid tenantId);
}

public sealed record KeyVerificationSignal(string Channel, string Payload);
