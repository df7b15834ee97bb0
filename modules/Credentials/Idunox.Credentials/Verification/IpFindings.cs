using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Jobs;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Idunox.Credentials.Verification;

/// <summary>
/// A request a key's allow-list in report-only mode would have refused, as stored: per key and client address, how many
/// and when first and last (added up over every server's flushes).
/// </summary>
internal sealed class IpFinding : ITenantOwned
{
    /// <summary>Where addresses past <see cref="IpFindings.MaxAddressesPerKey"/> in one flush are counted.</summary>
    public const string OtherAddresses = "other";

    public Guid KeyId { get; init; }

    public Guid TenantId { get; set; }

    public required string Address { get; init; }

    public long Requests { get; set; }

    public DateTime FirstSeenAt { get; init; }

    public DateTime LastSeenAt { get; set; }
}

/// <summary>
/// Counts, in memory and without locks on the request, the requests that keys' report-only allow-lists would have refused
/// (by key and address, at most <see cref="MaxAddressesPerKey"/> addresses per key between two flushes; more are counted as
/// "other"); <see cref="LastUsedWriter"/> adds them to the stored findings with its flush.
/// </summary>
internal sealed class IpFindings
{
    public const int MaxAddressesPerKey = 10;
    private const int MaxEntries = 10_000;

    private ConcurrentDictionary<(Guid KeyId, string Address), Noted> _noted = new();
    private readonly ConcurrentDictionary<Guid, int> _addressesPerKey = new();

    public void Record(ApiKey key, System.Net.IPAddress? address, DateTime now)
    {
        var text = address is null ? "unknown" : IpAllowLists.Plain(address).ToString();
        var noted = _noted;
        if (!noted.TryGetValue((key.Id, text), out var entry))
        {
            var full = _addressesPerKey.AddOrUpdate(key.Id, 1, (_, n) => n + 1) > MaxAddressesPerKey || noted.Count >= MaxEntries;
            entry = noted.GetOrAdd((key.Id, full ? IpFinding.OtherAddresses : text), _ => new Noted(key.TenantId, now));
        }

        entry.Add(now);
    }

    /// <summary>Everything noted since the last call (what is noted meanwhile goes to the next).</summary>
    public IReadOnlyList<IpFinding> Take()
    {
        var taken = Interlocked.Exchange(ref _noted, new ConcurrentDictionary<(Guid KeyId, string Address), Noted>());
        _addressesPerKey.Clear();
        return [.. taken.Select(e => new IpFinding
        {
            KeyId = e.Key.KeyId, Address = e.Key.Address, TenantId = e.Value.TenantId, Requests = e.Value.Requests,
            FirstSeenAt = e.Value.First, LastSeenAt = e.Value.Last,
        })];
    }

    /// <summary>Findings the database did not take: counted again for the next flush.</summary>
    public void Return(IEnumerable<IpFinding> findings)
    {
        foreach (var finding in findings)
        {
            var entry = _noted.GetOrAdd((finding.KeyId, finding.Address), _ => new Noted(finding.TenantId, finding.FirstSeenAt));
            entry.Add(finding.LastSeenAt, finding.Requests);
        }
    }

    /// <summary>Adds what was taken to the stored findings: one statement per batch, additive, so several servers add up.</summary>
    public static async Task WriteAsync(CredentialsDbContext db, IReadOnlyList<IpFinding> batch, CancellationToken cancellationToken)
    {
        var entity = db.Model.FindEntityType(typeof(IpFinding))!;
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(table)!);
        var (key, address, tenant, requests, first, last) = (Column(nameof(IpFinding.KeyId)), Column(nameof(IpFinding.Address)),
            Column(nameof(IpFinding.TenantId)), Column(nameof(IpFinding.Requests)), Column(nameof(IpFinding.FirstSeenAt)), Column(nameof(IpFinding.LastSeenAt)));
        var values = new StringBuilder();
        var arguments = new object[batch.Count * 6];
        for (var i = 0; i < batch.Count; i++)
        {
            var f = batch[i];
            values.Append(i == 0 ? "" : ", ").Append($"({{{6 * i}}}, {{{6 * i + 1}}}, {{{6 * i + 2}}}, {{{6 * i + 3}}}, {{{6 * i + 4}}}, {{{6 * i + 5}}})");
            (arguments[6 * i], arguments[6 * i + 1], arguments[6 * i + 2], arguments[6 * i + 3], arguments[6 * i + 4], arguments[6 * i + 5]) =
                (f.KeyId, f.Address, f.TenantId, f.Requests, f.FirstSeenAt, f.LastSeenAt);
        }

        // The row being updated is named by an alias: both PostgreSQL and SQLite take INSERT INTO … AS f … ON CONFLICT.
        var format = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} AS f ({key}, {address}, {tenant}, {requests}, {first}, {last}) " +
                     $"VALUES {values} ON CONFLICT ({key}, {address}) DO UPDATE SET {requests} = f.{requests} + excluded.{requests}, " +
                     $"{last} = CASE WHEN excluded.{last} > f.{last} THEN excluded.{last} ELSE f.{last} END";
        await db.Database.ExecuteSqlAsync(FormattableStringFactory.Create(format, arguments), cancellationToken);
    }

    private sealed class Noted(Guid tenantId, DateTime first)
    {
        private long _requests;
        private long _lastTicks = first.Ticks;

        public Guid TenantId { get; } = tenantId;

        public DateTime First { get; } = first;

        public long Requests => Interlocked.Read(ref _requests);

        public DateTime Last => new(Interlocked.Read(ref _lastTicks), DateTimeKind.Utc);

        public void Add(DateTime at, long requests = 1)
        {
            Interlocked.Add(ref _requests, requests);
            long seen;
            while ((seen = Interlocked.Read(ref _lastTicks)) < at.Ticks && Interlocked.CompareExchange(ref _lastTicks, at.Ticks, seen) != seen)
            {
            }
        }
    }
}

/// <summary>Findings not seen for 30 days are dropped by the retention job.</summary>
internal sealed class IpFindingRetention(CredentialsDbContext db) : IRetentionPolicy
{
    public string What => "IP allow-list findings";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - retention;
        return db.IpFindings.IgnoreQueryFilters().Where(f => f.LastSeenAt < before).ExecuteDeleteAsync(cancellationToken);
    }
}
