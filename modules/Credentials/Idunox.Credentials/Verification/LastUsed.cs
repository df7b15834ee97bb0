using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary>
/// Keeps <c>lastUsedAt</c> fresh to the minute without any database work on the request: a request only notes the time
/// in memory (a key at most once a minute per server), and <see cref="LastUsedWriter"/> writes what was noted in one
/// statement every few seconds and at shutdown. A write that fails is kept and tried again at the next flush.
/// </summary>
internal sealed class LastUsedRecorder
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<Guid, DateTime> _noted = new();
    private readonly ConcurrentDictionary<Guid, DateTime> _pending = new();

    /// <summary>How many keys wait for the next flush.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Notes a use; cheap and lock-free, never waits for the database.</summary>
    public void Record(Guid keyId, DateTime? stored, DateTime now)
    {
        if (ShouldNote(keyId, stored, now))
        {
            _pending.AddOrUpdate(keyId, now, (_, earlier) => earlier > now ? earlier : now);
        }
    }

    /// <summary>Everything noted since the last call, to be written.</summary>
    public IReadOnlyList<KeyValuePair<Guid, DateTime>> Take()
    {
        var taken = new List<KeyValuePair<Guid, DateTime>>();
        foreach (var entry in _pending)
        {
            // Only the value read is removed: a use noted meanwhile stays for the next flush.
            if (_pending.TryRemove(entry))
            {
                taken.Add(entry);
            }
        }

        return taken;
    }

    /// <summary>A batch the database did not take: noted again (a newer use wins), for the next flush.</summary>
    public void Return(IEnumerable<KeyValuePair<Guid, DateTime>> batch)
    {
        foreach (var (keyId, time) in batch)
        {
            _pending.AddOrUpdate(keyId, time, (_, newer) => newer > time ? newer : time);
        }
    }

    /// <summary>True for exactly one request per key and minute: that one is noted.</summary>
    private bool ShouldNote(Guid keyId, DateTime? stored, DateTime now)
    {
        while (true)
        {
            if (_noted.TryGetValue(keyId, out var last))
            {
                if (now - last < Resolution)
                {
                    return false;
                }

                if (_noted.TryUpdate(keyId, now, last))
                {
                    return true;
                }
            }
            else if (stored is { } known && now - known < Resolution)
            {
                _noted.TryAdd(keyId, known);
                return false;
            }
            else if (_noted.TryAdd(keyId, now))
            {
                return true;
            }
        }
    }
}

/// <summary>
/// Writes the noted <c>lastUsedAt</c> times every <c>Credentials:Verification:LastUsedFlushSeconds</c> (default 5) and once
/// more when the host stops: one UPDATE for up to 500 keys, never moving a stored time backwards (several servers write);
/// with them, the requests report-only allow-lists would have refused (<see cref="IpFindings"/>).
/// </summary>
internal sealed class LastUsedWriter(
    LastUsedRecorder recorder,
    IpFindings findings,
    IServiceScopeFactory scopes,
    IOptions<VerificationOptions> options,
    TimeProvider clock,
    ILogger<LastUsedWriter> logger) : BackgroundService
{
    private const int BatchSize = 500;
    private readonly SemaphoreSlim _flushing = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.LastUsedFlushSeconds), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken); // what the last seconds noted is not lost at a graceful stop
    }

    /// <summary>Writes everything noted so far; returns how many keys were written.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var noted = recorder.Take();
            var written = 0;
            foreach (var batch in noted.Chunk(BatchSize))
            {
                try
                {
                    await WriteAsync(batch, cancellationToken);
                    written += batch.Length;
                }
                catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or DbUpdateException)
                {
                    // "Last used" is a convenience: a failed write refuses no key and is tried again at the next flush.
                    recorder.Return(batch);
                    logger.LogWarning("Could not record when {Count} keys were last used ({KeyIds}); trying again shortly: {Error}",
                        batch.Length, string.Join(", ", batch.Take(10).Select(b => b.Key)), e.Message);
                }
            }

            await FlushFindingsAsync(cancellationToken);
            return written;
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>What report-only allow-lists would have refused since the last flush, added to the stored findings.</summary>
    private async Task FlushFindingsAsync(CancellationToken cancellationToken)
    {
        foreach (var batch in findings.Take().Chunk(BatchSize))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await IpFindings.WriteAsync(scope.ServiceProvider.GetRequiredService<CredentialsDbContext>(), batch, cancellationToken);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or DbUpdateException)
            {
                findings.Return(batch);
                logger.LogWarning("Could not record {Count} allow-list findings; trying again shortly: {Error}", batch.Length, e.Message);
            }
        }
    }

    private async Task WriteAsync(KeyValuePair<Guid, DateTime>[] batch, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        var entity = db.Model.FindEntityType(typeof(ApiKey))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var id = sql.DelimitIdentifier(entity.FindProperty(nameof(ApiKey.Id))!.GetColumnName(table)!);
        var lastUsed = sql.DelimitIdentifier(entity.FindProperty(nameof(ApiKey.LastUsedAt))!.GetColumnName(table)!);

        // UPDATE keys SET last_used_at = (the noted time when it is later) WHERE id IN (the batch): one statement, parameters only.
        var noted = new StringBuilder($"CASE {id}");
        var arguments = new object[batch.Length * 2];
        for (var i = 0; i < batch.Length; i++)
        {
            noted.Append($" WHEN {{{2 * i}}} THEN {{{2 * i + 1}}}");
            arguments[2 * i] = batch[i].Key;
            arguments[2 * i + 1] = batch[i].Value;
        }

        noted.Append(" END");
        var ids = string.Join(", ", Enumerable.Range(0, batch.Length).Select(i => $"{{{2 * i}}}"));
        var format = $"UPDATE {sql.DelimitIdentifier(table.Name, table.Schema)} SET {lastUsed} = {noted} " +
                     $"WHERE {id} IN ({ids}) AND ({lastUsed} IS NULL OR {lastUsed} < {noted})";
        await db.Database.ExecuteSqlAsync(FormattableStringFactory.Create(format, arguments), cancellationToken);
    }
}
