using System.Data.Common;
using Idunox.Credentials.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary>A server of this platform, as the others see it: it says it is alive every few seconds.</summary>
internal sealed class LiveHost
{
    public Guid Id { get; init; }

    /// <summary>For operators: the machine and process (<c>web-2/4711</c>).</summary>
    public required string Name { get; init; }

    public DateTime StartedAt { get; init; }

    public DateTime SeenAt { get; set; }
}

/// <summary>
/// <c>Credentials:RateLimits</c>: how often a server says it is alive, and after how many missed beats the others count it gone.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string SectionName = "Credentials:RateLimits";

    public int HeartbeatSeconds { get; set; } = 5;

    public int MissedBeats { get; set; } = 3;
}

/// <summary>
/// Which servers are running, from a table every server writes its heartbeat to: a key's rate limit is shared among them,
/// each enforcing its part (<see cref="Share"/>), so the key as a whole gets its limit with no database work per request.
/// A server counts itself even before its first beat is written, and keeps what it last read when the database cannot be
/// asked; at a graceful stop it removes its row, so the others take over its part at their next beat.
/// </summary>
internal sealed class LiveHosts(IServiceScopeFactory scopes, IOptions<RateLimitOptions> options, TimeProvider clock, ILogger<LiveHosts> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _beating = new(1, 1);
    private readonly DateTime _startedAt = clock.GetUtcNow().UtcDateTime;
    private volatile Membership _membership = new(1, 0);

    /// <summary>This server's row.</summary>
    public Guid Id { get; } = Guid.CreateVersion7();

    /// <summary>How many servers share a key's limit, and this one's place among them (by id, so every server agrees).</summary>
    public Membership Current => _membership;

    /// <summary>
    /// This server's part of <paramref name="limit"/>: an equal share, the remainder going one each to the first servers, so
    /// the parts add up to the limit exactly; at least one (a limit below the number of servers allows one per server).
    /// </summary>
    public int Share(int limit)
    {
        var (count, rank) = (_membership.Count, _membership.Rank);
        return count == 1 ? limit : Math.Max(1, (limit / count) + (rank < limit % count ? 1 : 0));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, options.Value.HeartbeatSeconds));
        using var timer = new PeriodicTimer(period, clock);
        try
        {
            do
            {
                await BeatAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
            await db.LiveHosts.Where(h => h.Id == Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            // The others stop counting this server when its beats are missed.
        }
    }

    /// <summary>Writes this server's beat, forgets servers whose beats stopped, and reads who is alive.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        await _beating.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
            var now = clock.GetUtcNow().UtcDateTime;
            var gone = now - TimeSpan.FromSeconds(Math.Max(1, options.Value.HeartbeatSeconds) * Math.Max(2, options.Value.MissedBeats));
            if (await db.LiveHosts.FindAsync([Id], cancellationToken) is { } mine)
            {
                mine.SeenAt = now;
            }
            else
            {
                db.LiveHosts.Add(new LiveHost { Id = Id, Name = $"{Environment.MachineName}/{Environment.ProcessId}", StartedAt = _startedAt, SeenAt = now });
            }

            await db.SaveChangesAsync(cancellationToken);
            await db.LiveHosts.Where(h => h.SeenAt < gone && h.Id != Id).ExecuteDeleteAsync(cancellationToken);
            var alive = await db.LiveHosts.AsNoTracking().Select(h => h.Id).ToListAsync(cancellationToken);
            alive.Sort();
            var membership = new Membership(alive.Count, alive.IndexOf(Id));
            if (membership != _membership)
            {
                logger.LogInformation("{Count} servers share keys' rate limits; this one is number {Rank}", membership.Count, membership.Rank + 1);
                _membership = membership;
            }
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or DbUpdateException)
        {
            logger.LogWarning("Could not write this server's heartbeat; rate limits keep the last known share of {Count} servers: {Error}",
                _membership.Count, e.Message);
        }
        finally
        {
            _beating.Release();
        }
    }

    public override void Dispose()
    {
        _beating.Dispose();
        base.Dispose();
    }

    internal sealed record Membership(int Count, int Rank);
}
