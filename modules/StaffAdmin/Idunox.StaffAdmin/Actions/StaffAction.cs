namespace Idunox.StaffAdmin.Actions;

/// <summary>
/// What a staff member did in the admin area (provisioned an organisation, suspended it, revoked a key on its behalf):
/// the staff side of the audit trail, across tenants, so it is deliberately not tenant-owned.
/// </summary>
internal sealed class StaffAction
{
    public Guid Id { get; init; }

    public Guid StaffUserId { get; init; }

    public required string StaffEmail { get; init; }

    /// <summary>A stable verb such as <c>organisation.suspended</c>.</summary>
    public required string Action { get; init; }

    public Guid? TenantId { get; init; }

    public string? Subject { get; init; }

    public DateTime OccurredAt { get; init; }

    public string? ClientAddress { get; init; }

    /// <summary>Why, in the staff member's words (required for changes made on a partner's behalf).</summary>
    public string? Reason { get; init; }
}
