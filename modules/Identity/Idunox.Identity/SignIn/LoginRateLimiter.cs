using Idunox.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.SignIn;

/// <summary>
/// A fixed one-minute window of sign-in attempts per client address (an IPv6 address by its /64), counted in the database in one atomic upsert, so
/// every server behind a load balancer shares the count: N servers do not multiply the limit by N. Portal sign-in,
/// staff sign-in and password-reset requests draw on the same allowance.
/// </summary>
internal sealed class LoginRateLimiter(IdentityModuleDbContext db, IOptions<LoginOptions> options, TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Counts one attempt; null when it may go ahead, otherwise how long the address must wait.</summary>
    public Task<TimeSpan?> TryAcquireAsync(string? clientAddress, CancellationToken cancellationToken) =>
        TryAcquireKeyAsync(Idunox.Shared.Security.AddressBucket.Of(clientAddress is { Length: > 0 } ? clientAddress : null),
            options.Value.AttemptsPerAddressPerMinute, cancellationToken);

    /// <summary>Counts one use of any allowance shared by every server (e.g. reset e-mails per account); null when it may go ahead.</summary>
    public async Task<TimeSpan?> TryAcquireKeyAsync(string key, int perMinute, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - (now.Ticks % Window.Ticks), DateTimeKind.Utc);
        var address = key[..Math.Min(key.Length, AddressWindow.MaxAddressLength)];
        var counted = await db.Database.SqlQueryRaw<int>(CountSql(), address, start).ToListAsync(cancellationToken);
        return counted.Single() > perMinute ? start + Window - now : null;
    }

    /// <summary>One upsert, the same on PostgreSQL and SQLite; answers the address's attempts in this window, this one included.</summary>
    private string CountSql()
    {
        var entity = db.Model.FindEntityType(typeof(AddressWindow))!;
        var table = entity.GetSchema() is { } schema ? $"\"{schema}\".\"{entity.GetTableName()}\"" : $"\"{entity.GetTableName()}\"";
        string Column(string property) => $"\"{entity.FindProperty(property)!.GetColumnName()}\"";
        var (address, start, attempts) = (Column(nameof(AddressWindow.Address)), Column(nameof(AddressWindow.WindowStart)), Column(nameof(AddressWindow.Attempts)));
        return $"""
            INSERT INTO {table} AS w ({address}, {start}, {attempts}) VALUES ({"{0}"}, {"{1}"}, 1)
            ON CONFLICT ({address}, {start}) DO UPDATE SET {attempts} = w.{attempts} + 1
            RETURNING {attempts} AS "Value"
            """;
    }
}

/// <summary>Sign-in attempts from one client address in one minute (shared by every server).</summary>
internal sealed class AddressWindow
{
    public const int MaxAddressLength = 64;

    public required string Address { get; init; }

    public DateTime WindowStart { get; init; }

    public int Attempts { get; set; }
}

/// <summary>An address's counts matter for a minute; they are kept a day (for a look after an attack), then removed.</summary>
internal sealed class StaleAddressWindowRetention(IdentityModuleDbContext db) : Idunox.Shared.Jobs.IRetentionPolicy
{
    public string What => "sign-in counters per address";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - StaleLoginAttemptRetention.KeptFor;
        return db.AddressWindows.Where(w => w.WindowStart < before).ExecuteDeleteAsync(cancellationToken);
    }
}
