namespace Idunox.Credentials.Contracts;

/// <summary>
/// Tells key verification that something it caches has changed outside the Credentials module (an organisation was
/// suspended or activated). The server that made the change forgets at once; every other server is told through the
/// database (PostgreSQL NOTIFY) within a second.
/// </summary>
public interface IKeyVerificationChanges
{
    Task OrganisationChangedAsync(Guid tenantId, CancellationToken cancellationToken);
}
