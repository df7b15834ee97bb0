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
        var attempt = await db.LoginAttempts.FirstOrDefaultAsync(a => a.EmailHash == hash, cancellationToken);
        if (attempt is null)
        {
            attempt = new LoginAttempt { EmailHash = hash };
            db.LoginAttempts.Add(attempt);
        }

        // A lockout that ended, or failures long past, start the count afresh.
        if (attempt.LockedUntil <= now || now - attempt.LastFailedAt > window)
        {
            attempt.FailedCount = 0;
            attempt.LockedUntil = null;
        }

        attempt.FailedCount++;
        attempt.LastFailedAt = now;
        if (attempt.FailedCount >= options.Value.MaxFailedAttempts)
        {
            attempt.LockedUntil = now + window;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent first failure of the same address inserted the row: count this one on top of it.
            db.ChangeTracker.Clear();
            await db.LoginAttempts.Where(a => a.EmailHash == hash).ExecuteUpdateAsync(
                s => s.SetProperty(a => a.FailedCount, a => a.FailedCount + 1).SetProperty(a => a.LastFailedAt, now),
                cancellationToken);
        }
    }

    public Task ResetAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        var hash = Hash(normalizedEmail);
        return db.LoginAttempts.Where(a => a.EmailHash == hash).ExecuteDeleteAsync(cancellationToken);
    }

    private static byte[] Hash(string normalizedEmail) => SHA256.HashData(Encoding.UTF8.GetBytes(normalizedEmail));
}
