using System.Security.Cryptography;
using System.Text;
using Idunox.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.SignIn;

/// <summary>Locks an e-mail address — whether or not a user has it — after too many consecutive failed sign-ins.</summary>
internal sealed class LoginLockout(IdentityModuleDbContext db, IOptions<LoginOptions> options, TimeProvider clock)
{
    /// <summary>How long the address stays locked, or null when it may try.</summary>
    public async Task<TimeSpan?> LockedForAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = Hash(normalizedEmail);
        var lockedUntil = await db.LoginAttempts.AsNoTracking()
            .Where(a => a.EmailHash == hash).Select(a => a.LockedUntil).FirstOrDefaultAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        return lockedUntil > now ? lockedUntil.Value - now : null;
    }

    public async Task RecordFailureAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = Hash(normalizedEmail);
        var now = clock.GetUtcNow().UtcDateTime;
        var window = TimeSpan.FromMinutes(options.Value.LockoutMinutes);
        var max = options.Value.MaxFailedAttempts;
        DateTime? lockUntil = now + window;
        var staleBefore = now - window;

        // A lockout that ended, or failures long past, start the count afresh.
        await db.LoginAttempts
            .Where(a => a.EmailHash == hash && ((a.LockedUntil != null && a.LockedUntil <= now) || a.LastFailedAt < staleBefore))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.FailedCount, 0).SetProperty(a => a.LockedUntil, (DateTime?)null), cancellationToken);

        for (var attempt = 0; attempt < 3; attempt++)
        {
            // One atomic increment: parallel failures each count, and the one that reaches the limit sets the lock.
            var updated = await db.LoginAttempts.Where(a => a.EmailHash == hash).ExecuteUpdateAsync(s => s
                    .SetProperty(a => a.FailedCount, a => a.FailedCount + 1)
                    .SetProperty(a => a.LastFailedAt, now)
                    .SetProperty(a => a.LockedUntil, a => a.FailedCount + 1 >= max ? lockUntil : a.LockedUntil),
                cancellationToken);
            if (updated > 0)
            {
                return;
            }

            db.LoginAttempts.Add(new LoginAttempt { EmailHash = hash, FailedCount = 1, LastFailedAt = now, LockedUntil = max <= 1 ? lockUntil : null });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear(); // a parallel first failure inserted the row: count this one on it
            }
        }
    }

    public Task ResetAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = Hash(normalizedEmail);
        return db.LoginAttempts.Where(a => a.EmailHash == hash).ExecuteDeleteAsync(cancellationToken);
    }

    private static byte[] Hash(string normalizedEmail) => SHA256.HashData(Encoding.UTF8.GetBytes(normalizedEmail));
}
