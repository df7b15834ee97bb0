using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Outbox;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// The grace sweep writes its rows in SQL of its own on PostgreSQL (one statement a batch) and through EF Core on SQLite:
/// both must record the same audit event and the same <see cref="ApiKeyGraceEnded"/> as the rest of the product reads it.
/// Its work list (<see cref="PendingGraceEnd"/>) is written by the rotation and, on upgrade, by the migration.
/// </summary>
public sealed class GraceSweepTests
{
    private static IdunoxApp Start(TestDatabase? database) =>
        database is null ? IdunoxApp.OnSqlite(Path.Combine(Path.GetTempPath(), $"idunox-{Guid.NewGuid():N}.db")) : IdunoxApp.OnPostgres(database);

    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("SQLite")]
    public async Task The_sweep_records_the_audit_event_and_the_event_every_reader_expects(string provider)
    {
        await using var database = provider == "PostgreSQL" ? await TestPostgres.CreateDatabaseAsync() : null;
        await using var app = Start(database);
        app.Clock.Advance(TimeSpan.FromTicks(1_234_567)); // a time with a fraction of a second, to the tick
        var session = await PartnerSession.StartAsync(app);
        var (_, created) = await session.CreateKeyAsync("payments \"live\" \\ ünïcode");
        var id = created.GetProperty("id").GetGuid();
        await session.RotateAsync(id, 24);
        app.Clock.Advance(TimeSpan.FromHours(25));
        var now = app.Clock.GetUtcNow().UtcDateTime;

        Assert.Contains("recorded the end of grace of 1 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        var key = await db.ApiKeys.IgnoreQueryFilters().SingleAsync(k => k.Id == id);
        var message = await db.Outbox.IgnoreQueryFilters().SingleAsync(m => m.Type == nameof(ApiKeyGraceEnded));
        var audit = await db.AuditEvents.IgnoreQueryFilters().SingleAsync(e => e.Action == "key.expired");

        Assert.False(await db.PendingGraceEnds.AnyAsync()); // off the work list
        var graceEndedAt = key.GraceEndsAt!.Value;
        Assert.Equal(
            new ApiKeyGraceEnded(message.EventId, key.TenantId, Microseconds(now), new KeyReference(key.Id, key.Name, key.Prefix, key.ExpiresAt), graceEndedAt),
            message.Read<ApiKeyGraceEnded>() with { OccurredAt = Microseconds(message.Read<ApiKeyGraceEnded>().OccurredAt) });
        Assert.Equal(DateTimeKind.Utc, message.Read<ApiKeyGraceEnded>().GraceEndedAt.Kind);
        Assert.Equal((key.TenantId, OutboxMessage.Bulk, 0, (DateTime?)null), (message.TenantId, message.Priority, message.Attempts, message.ProcessedAt));
        Assert.Equal(Microseconds(now), Microseconds(message.OccurredAt));
        Assert.Equal(7, message.EventId.Version);

        Assert.Equal(7, audit.Id.Version);
        Assert.Equal(
            (key.TenantId, Microseconds(now), "system", (Guid?)null, "grace-sweep", key.Id, key.Prefix, key.Name, $"grace ended {graceEndedAt:yyyy-MM-dd HH:mm} UTC"),
            (audit.TenantId, Microseconds(audit.OccurredAt), audit.ActorType, audit.ActorId, audit.ActorName, audit.ApiKeyId, audit.ApiKeyPrefix, audit.ApiKeyName, audit.Detail));
    }

    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("SQLite")]
    public async Task A_key_revoked_during_its_grace_leaves_the_work_list_unrecorded(string provider)
    {
        await using var database = provider == "PostgreSQL" ? await TestPostgres.CreateDatabaseAsync() : null;
        await using var app = Start(database);
        var session = await PartnerSession.StartAsync(app);
        var kept = (await session.CreateKeyAsync("kept")).Credential.GetProperty("id").GetGuid();
        var revoked = (await session.CreateKeyAsync("revoked")).Credential.GetProperty("id").GetGuid();
        await session.RotateAsync(kept, 24);
        await session.RotateAsync(revoked, 24);
        await session.RevokeAsync(revoked);
        app.Clock.Advance(TimeSpan.FromHours(24));

        Assert.Contains("recorded the end of grace of 1 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
        Assert.Contains("recorded the end of grace of 0 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        Assert.False(await db.PendingGraceEnds.AnyAsync());
        Assert.Equal([kept], await db.AuditEvents.IgnoreQueryFilters().Where(e => e.Action == "key.expired").Select(e => e.ApiKeyId).ToListAsync());
    }

    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("SQLite")]
    public async Task A_batch_that_dies_before_its_commit_leaves_nothing_recorded_and_the_next_run_records_it(string provider)
    {
        var fault = new CommandFault();
        await using var database = provider == "PostgreSQL" ? await TestPostgres.CreateDatabaseAsync() : null;
        await using var app = Start(database);
        app.TestServices.Add(services => services.AddSingleton<IInterceptor>(fault));
        var session = await PartnerSession.StartAsync(app);
        foreach (var name in new[] { "one", "two", "three" })
        {
            await session.RotateAsync((await session.CreateKeyAsync(name)).Credential.GetProperty("id").GetGuid(), 24);
        }

        app.Clock.Advance(TimeSpan.FromHours(24));

        // PostgreSQL writes a batch in one statement: the batch dies after it, at its commit. SQLite writes it in several:
        // the batch dies between them, after its claim and its audit events, at its outbox events.
        if (database is null)
        {
            fault.FailAt(sql => sql.Contains("INSERT INTO \"credentials_outbox_messages\"", StringComparison.Ordinal), occurrence: 1);
        }
        else
        {
            // The sweep's own commit: the clock's jump also wakes background services that commit.
            fault.FailAtCommit(occurrence: 1, thisFlowOnly: true);
        }

        var crash = await Assert.ThrowsAnyAsync<Exception>(() => app.RunJobAsync("grace-sweep"));
        Assert.Contains(nameof(SimulatedCrashException), crash.ToString(), StringComparison.Ordinal);
        Assert.Equal((3, 0, 0), await StateAsync(app));

        Assert.Contains("recorded the end of grace of 3 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
        Assert.Equal((0, 3, 3), await StateAsync(app));
    }

    /// <summary>Keys on the work list, <c>key.expired</c> audit events, <c>ApiKeyGraceEnded</c> events.</summary>
    private static async Task<(int Listed, int Audit, int Events)> StateAsync(IdunoxApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        return (await db.PendingGraceEnds.CountAsync(),
            await db.AuditEvents.IgnoreQueryFilters().CountAsync(e => e.Action == "key.expired"),
            await db.Outbox.IgnoreQueryFilters().CountAsync(m => m.Type == nameof(ApiKeyGraceEnded)));
    }

    /// <summary>
    /// Before the work list, the sweep marked each recorded key in <c>api_keys.expiry_recorded_at</c>. Migrating down to
    /// that schema, a key the sweep took off the list is marked recorded and a key on it is not; up again, exactly the
    /// keys whose end was not recorded (and that were not revoked) are on the list.
    /// </summary>
    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("SQLite")]
    public async Task An_upgrade_puts_every_grace_end_still_to_record_on_the_work_list(string provider)
    {
        await using var database = provider == "PostgreSQL" ? await TestPostgres.CreateDatabaseAsync() : null;
        await using var app = Start(database);
        var session = await PartnerSession.StartAsync(app);
        var swept = (await session.CreateKeyAsync("swept")).Credential.GetProperty("id").GetGuid();
        await session.RotateAsync(swept, 24);
        app.Clock.Advance(TimeSpan.FromHours(25));
        Assert.Contains("of 1 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
        var listed = (await session.CreateKeyAsync("listed")).Credential.GetProperty("id").GetGuid();
        await session.RotateAsync(listed, 24);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        var migrator = db.GetService<IMigrator>();
        var migrations = db.Database.GetMigrations().ToList();
        var before = migrations[migrations.FindIndex(m => m.EndsWith("_GraceWorkList", StringComparison.Ordinal)) - 1];
        var keys = SqlNames.Of<ApiKey>(db).Table;
        var now = app.Clock.GetUtcNow().UtcDateTime;

        await migrator.MigrateAsync(before);
        var rotatedKeys = $"SELECT name AS \"Name\", expiry_recorded_at IS NOT NULL AS \"Recorded\" FROM {keys} WHERE grace_ends_at IS NOT NULL ORDER BY name";
        var rotated = await db.Database.SqlQueryRaw<OldKey>(rotatedKeys).ToListAsync();
        Assert.Equal([new OldKey("listed", Recorded: false), new OldKey("swept", Recorded: true)], rotated);

        // The old schema's rows: grace ended and recorded, grace ended and not, revoked in grace, not rotated.
        var tenant = session.Partner.Organisation.Id;
        ApiKey Key(string name, DateTime? graceEndsAt, DateTime? revokedAt = null) => new()
        {
            Id = Guid.CreateVersion7(), TenantId = tenant, Name = name, Prefix = "idx_test_" + name[..4], Hash = Guid.NewGuid().ToByteArray(),
            CreatedAt = now.AddDays(-30), CreatedBy = "old@example.com", ExpiresAt = now.AddDays(300), GraceEndsAt = graceEndsAt, RevokedAt = revokedAt,
        };
        var old = new[] { Key("recorded", now.AddHours(-2)), Key("unrecorded", now.AddHours(-1)), Key("revoked", now.AddHours(-1), now.AddHours(-3)), Key("plain", null) };
        foreach (var key in old)
        {
            // Written as the old release wrote them: only the columns its schema has (the model of today has more).
            object Id(Guid id) => db.Database.IsSqlite() ? id.ToString().ToUpperInvariant() : id;
            var insert = $"INSERT INTO {keys} (id, tenant_id, name, prefix, hash, created_at, created_by, expires_at, grace_ends_at, revoked_at) " +
                "VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9})"; // the table's name from the model; values as parameters
            object[] values = [Id(key.Id), Id(key.TenantId), key.Name, key.Prefix, key.Hash, key.CreatedAt, key.CreatedBy, key.ExpiresAt,
                (object?)key.GraceEndsAt ?? DBNull.Value, (object?)key.RevokedAt ?? DBNull.Value];
            await using var command = db.Database.GetDbConnection().CreateCommand();
            var parameters = values.Select((value, i) =>
            {
                var parameter = command.CreateParameter();
                (parameter.ParameterName, parameter.Value) = ($"p{i}", value);
                return (object)parameter;
            }).ToArray();
            await db.Database.ExecuteSqlRawAsync(insert, parameters);
        }

        var markRecorded = $"UPDATE {keys} SET expiry_recorded_at = grace_ends_at WHERE name = 'recorded'"; // the old sweep's mark
        await db.Database.ExecuteSqlRawAsync(markRecorded);

        await migrator.MigrateAsync();

        Assert.Equal(
            new[] { listed, old[1].Id }.Order(),
            (await db.PendingGraceEnds.Select(p => p.KeyId).ToListAsync()).Order());
        app.Clock.Advance(TimeSpan.FromHours(24));
        Assert.Contains("recorded the end of grace of 2 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
    }

    /// <summary>A key's name and whether the old schema marks its end of grace recorded.</summary>
    private sealed record OldKey(string Name, bool Recorded);

    /// <summary>PostgreSQL keeps microseconds; the fake clock has ticks.</summary>
    private static DateTime Microseconds(DateTime value) => new(value.Ticks - value.Ticks % 10, DateTimeKind.Utc);
}
