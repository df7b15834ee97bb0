using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.Sessions;

/// <summary>The session rows behind every portal and staff cookie (see <see cref="IUserSessions"/>).</summary>
internal sealed class UserSessions(IdentityModuleDbContext db, TimeProvider clock, ILogger<UserSessions> logger) : IUserSessions
{
    /// <summary>Activity is written at most this often per session: the idle limit is exact to within it, and a busy page costs no write per request.</summary>
    public static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    public const string SignedOut = "signed out";
    public const string Idle = "idle";
    public const string Expired = "expired";
    public const string EverywhereReason = "signed out everywhere";
    public const string EndedByOwner = "signed out from another session";

    public async Task<Guid> StartAsync(SessionStart start, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var session = new UserSession
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()),
            Kind = start.Kind,
            UserId = start.UserId,
            TenantId = start.TenantId,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + start.AbsoluteTimeout,
            IdleSeconds = (int)Math.Clamp(start.IdleTimeout.TotalSeconds, 60, int.MaxValue),
            Address = Clip(start.Address, UserSession.MaxAddressLength),
            UserAgent = Clip(start.UserAgent, UserSession.MaxUserAgentLength),
        };
        db.UserSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(session).State = EntityState.Detached;
        return session.Id;
    }

    public async Task<bool> CheckAsync(Guid sessionId, Guid userId, string kind, bool activity, CancellationToken cancellationToken)
    {
        var row = await db.UserSessions.AsNoTracking()
            .Where(s => s.Id == sessionId && s.UserId == userId && s.Kind == kind && s.EndedAt == null)
            .Select(s => new { s.LastSeenAt, s.ExpiresAt, s.IdleSeconds })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return false;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var ended = now >= row.ExpiresAt ? Expired : now - row.LastSeenAt >= TimeSpan.FromSeconds(row.IdleSeconds) ? Idle : null;
        if (ended is not null)
        {
            await EndWhereAsync(db.UserSessions.Where(s => s.Id == sessionId), ended, now, cancellationToken);
            return false;
        }

        if (activity && now - row.LastSeenAt >= TouchEvery)
        {
            // Conditional, so the idle clock never moves back when two servers touch the row at once.
            await db.UserSessions.Where(s => s.Id == sessionId && s.LastSeenAt < now)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
        }

        return true;
    }

    public Task EndAsync(Guid sessionId, string reason, CancellationToken cancellationToken) =>
        EndWhereAsync(db.UserSessions.Where(s => s.Id == sessionId), reason, clock.GetUtcNow().UtcDateTime, cancellationToken);

    public async Task<bool> EndOwnAsync(Guid userId, string kind, Guid sessionId, string reason, CancellationToken cancellationToken) =>
        await EndWhereAsync(db.UserSessions.Where(s => s.Id == sessionId && s.UserId == userId && s.Kind == kind), reason,
            clock.GetUtcNow().UtcDateTime, cancellationToken) == 1;

    public async Task<int> EndAllAsync(Guid userId, string kind, string reason, CancellationToken cancellationToken)
    {
        var ended = await EndWhereAsync(db.UserSessions.Where(s => s.UserId == userId && s.Kind == kind), reason,
            clock.GetUtcNow().UtcDateTime, cancellationToken);
        logger.LogInformation("Ended {Count} {Kind} sessions of user {UserId}: {Reason}", ended, kind, userId, reason);
        return ended;
    }

    public async Task<IReadOnlyList<SessionInfo>> ListOpenAsync(Guid userId, string kind, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await db.UserSessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.Kind == kind && s.EndedAt == null && s.ExpiresAt > now)
            .OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.Id)
            .Take(100)
            .ToListAsync(cancellationToken);
        return rows.Where(s => now - s.LastSeenAt < TimeSpan.FromSeconds(s.IdleSeconds))
            .Select(s => new SessionInfo(s.Id, s.CreatedAt, s.LastSeenAt, s.Address, DeviceName.Of(s.UserAgent)))
            .ToList();
    }

    private static Task<int> EndWhereAsync(IQueryable<UserSession> sessions, string reason, DateTime now, CancellationToken cancellationToken) =>
        sessions.Where(s => s.EndedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.EndedAt, now)
            .SetProperty(x => x.EndedBecause, reason), cancellationToken);

    private static string? Clip(string? text, int max) => text is null ? null : text.Length <= max ? text : text[..max];
}

/// <summary>Ended sessions and sessions past their absolute limit are kept 30 days (for a look after an incident), then removed.</summary>
internal sealed class EndedSessionRetention(IdentityModuleDbContext db) : Idunox.Shared.Jobs.IRetentionPolicy
{
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(30);

    public string What => "ended sign-in sessions";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - KeptFor;
        return db.UserSessions.Where(s => s.EndedAt < before || s.ExpiresAt < before).ExecuteDeleteAsync(cancellationToken);
    }
}

/// <summary>"Firefox on Windows": a session's browser and system in words, from its user agent (no library, no guess beyond the common ones).</summary>
internal static class DeviceName
{
    public static string Of(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown device";
        }

        bool Has(string part) => userAgent.Contains(part, StringComparison.OrdinalIgnoreCase);
        var browser = Has("Edg/") ? "Edge" : Has("OPR/") ? "Opera" : Has("Firefox/") ? "Firefox" : Has("Chrome/") || Has("Chromium/") ? "Chrome"
            : Has("Safari/") ? "Safari" : Has("curl/") ? "curl" : "A browser";
        var system = Has("iPhone") || Has("iPad") ? "iOS" : Has("Android") ? "Android" : Has("Windows") ? "Windows"
            : Has("Mac OS X") || Has("Macintosh") ? "macOS" : Has("CrOS") ? "ChromeOS" : Has("Linux") ? "Linux" : null;
        return system is null ? browser : $"{browser} on {system}";
    }
}
