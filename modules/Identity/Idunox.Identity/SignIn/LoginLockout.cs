using System.Security.Cryptography;
using System.Text;
using Idunox.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.SignIn;

/// <summary>
/// Locks an e-mail address — whether or not a user has it — after too many consecutive failed sign-ins, per client
/// address for sign-ins (<see cref="AtAddress"/>: whoever floods an account locks only their own address, an IPv6 /64,
/// out of it; the real user elsewhere signs in as usual), per account for a signed-in user's password change. Each attempt
/// is reserved before its password is checked, in one atomic statement: a burst of parallel guesses counts every guess
/// as it arrives, so no more passwords are ever checked than the limit allows, however many arrive at once.
/// </summary>
internal sealed class LoginLockout(IdentityModuleDbContext db, IOptions<LoginOptions> options, TimeProvider clock)
{
    /// <summary>The lock key of an account's sign-ins from one client address (its IPv6 /64).</summary>
    public static string AtAddress(string account, string? clientAddress) => $"{account}|{Idunox.Shared.Security.AddressBucket.Of(clientAddress)}";

    /// <summary>
    /// Reserves one attempt for the address. Null when the password may be checked now; otherwise how long the address
    /// stays locked (an attempt past the limit locks it, even while earlier attempts are still being checked).
    /// </summary>
    public async Task<TimeSpan?> ReserveAttemptAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var window = TimeSpan.FromMinutes(options.Value.LockoutMinutes);
        var lockedUntil = await db.Database.SqlQueryRaw<DateTime?>(ReserveSql(), Hash(normalizedEmail), now, now - window,
                options.Value.MaxFailedAttempts, now + window)
            .ToListAsync(cancellationToken);
        return lockedUntil.FirstOrDefault() is { } until && until > now ? until - now : null;
    }

    /// <summary>The reserved attempt failed: at the limit, the address is locked from now.</summary>
    public async Task RecordFailureAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = Hash(normalizedEmail);
        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? lockUntil = now + TimeSpan.FromMinutes(options.Value.LockoutMinutes);
        var max = options.Value.MaxFailedAttempts;
        await db.LoginAttempts.Where(a => a.EmailHash == hash && a.FailedCount >= max && (a.LockedUntil == null || a.LockedUntil <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.LockedUntil, lockUntil), cancellationToken);
    }

    /// <summary>The reserved attempt succeeded: the count starts afresh.</summary>
    public Task ResetAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = Hash(normalizedEmail);
        return db.LoginAttempts.Where(a => a.EmailHash == hash).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// One upsert, the same on PostgreSQL and SQLite: a lock in force stays as it is; a lock that ended, or failures long
    /// past, start the count at 1; otherwise the count goes up, and past the limit the address is locked. Answers the
    /// lock in force after this attempt (or null).
    /// </summary>
    private string ReserveSql()
    {
        var entity = db.Model.FindEntityType(typeof(LoginAttempt))!;
        var table = entity.GetSchema() is { } schema ? $"\"{schema}\".\"{entity.GetTableName()}\"" : $"\"{entity.GetTableName()}\"";
        string Column(string property) => $"\"{entity.FindProperty(property)!.GetColumnName()}\"";
        var (hash, count, last, locked) = (Column(nameof(LoginAttempt.EmailHash)), Column(nameof(LoginAttempt.FailedCount)),
            Column(nameof(LoginAttempt.LastFailedAt)), Column(nameof(LoginAttempt.LockedUntil)));
        // {0} hash, {1} now, {2} stale before, {3} max failures, {4} lock until
        return $$"""
            INSERT INTO {{table}} AS a ({{hash}}, {{count}}, {{last}}, {{locked}}) VALUES ({0}, 1, {1}, NULL)
            ON CONFLICT ({{hash}}) DO UPDATE SET
              {{count}} = CASE WHEN a.{{locked}} > {1} THEN a.{{count}}
                             WHEN a.{{locked}} IS NOT NULL OR a.{{last}} < {2} THEN 1
                             ELSE a.{{count}} + 1 END,
              {{locked}} = CASE WHEN a.{{locked}} > {1} THEN a.{{locked}}
                              WHEN a.{{locked}} IS NOT NULL OR a.{{last}} < {2} THEN NULL
                              WHEN a.{{count}} + 1 > {3} THEN {4}
                              ELSE NULL END,
              {{last}} = CASE WHEN a.{{locked}} > {1} THEN a.{{last}} ELSE {1} END
            RETURNING {{locked}} AS "Value"
            """;
    }

    private static byte[] Hash(string normalizedEmail) => SHA256.HashData(Encoding.UTF8.GetBytes(normalizedEmail));
}

/// <summary>
/// Sign-in counters matter only while they can still lock: a day after an address's last failure, and with no lock in
/// force, its row is removed (a spray of made-up addresses must not grow the table for good).
/// </summary>
internal sealed class StaleLoginAttemptRetention(IdentityModuleDbContext db) : Idunox.Shared.Jobs.IRetentionPolicy
{
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(1);

    public string What => "stale sign-in counters";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - KeptFor;
        return db.LoginAttempts.Where(a => a.LastFailedAt < before && (a.LockedUntil == null || a.LockedUntil < now)).ExecuteDeleteAsync(cancellationToken);
    }
}
