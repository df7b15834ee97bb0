namespace Idunox.Identity.Contracts;

/// <summary>
/// Server-side sign-in sessions of portal users and staff: every sign-in is a row, the browser's cookie carries only
/// its id, and every request of every server checks the row. Ending a row (sign-out, "sign out everywhere", a session
/// ended by its owner or by staff) ends the session everywhere at once; idle and absolute limits are kept on the row.
/// </summary>
public interface IUserSessions
{
    /// <summary>Opens a session and answers its id, for the cookie.</summary>
    Task<Guid> StartAsync(SessionStart start, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the session is still open for this user: not ended, within its idle and absolute limits. A session past
    /// a limit is ended here. <paramref name="activity"/> false (a dashboard polling in the background) leaves the idle
    /// clock alone.
    /// </summary>
    Task<bool> CheckAsync(Guid sessionId, Guid userId, string kind, bool activity, CancellationToken cancellationToken);

    /// <summary>Ends one session (sign-out). Ending an ended or unknown session does nothing.</summary>
    Task EndAsync(Guid sessionId, string reason, CancellationToken cancellationToken);

    /// <summary>Ends one of the user's own sessions; false when the user has no open session with that id.</summary>
    Task<bool> EndOwnAsync(Guid userId, string kind, Guid sessionId, string reason, CancellationToken cancellationToken);

    /// <summary>Ends every open session of the user; answers how many.</summary>
    Task<int> EndAllAsync(Guid userId, string kind, string reason, CancellationToken cancellationToken);

    /// <summary>The user's open sessions, most recently seen first.</summary>
    Task<IReadOnlyList<SessionInfo>> ListOpenAsync(Guid userId, string kind, CancellationToken cancellationToken);
}

public static class SessionKinds
{
    public const string Portal = "portal";
    public const string Staff = "staff";
}

/// <summary>What a new session records: who, where from, and its limits.</summary>
public sealed record SessionStart(string Kind, Guid UserId, Guid? TenantId, string? Address, string? UserAgent, TimeSpan IdleTimeout, TimeSpan AbsoluteTimeout);

/// <summary>An open session as its owner sees it.</summary>
public sealed record SessionInfo(Guid Id, DateTime CreatedAt, DateTime LastSeenAt, string? Address, string Device);
