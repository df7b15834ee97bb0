using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Idunox.Shared.Persistence;

/// <summary>
/// Tells a lost race for one named unique index apart from every other database error, on both providers. Only that
/// race may become a domain answer ("slug taken", "already rotated"); anything else is a fault the caller must see.
/// </summary>
public static class UniqueViolations
{
    private const string UniqueViolationState = "23505";
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    /// <summary>
    /// True when <paramref name="exception"/> is a violation of the unique index (or primary key) of
    /// <typeparamref name="TEntity"/> over exactly <paramref name="properties"/>, as this context's model maps it.
    /// </summary>
    public static bool IsUniqueViolation<TEntity>(this DbContext db, DbUpdateException exception, params string[] properties)
    {
        var entity = db.Model.FindEntityType(typeof(TEntity))
            ?? throw new InvalidOperationException($"{typeof(TEntity).Name} is not part of {db.GetType().Name}.");
        var index = entity.GetIndexes().FirstOrDefault(i => i.IsUnique && i.Properties.Select(p => p.Name).SequenceEqual(properties));
        var key = entity.GetKeys().FirstOrDefault(k => k.Properties.Select(p => p.Name).SequenceEqual(properties));
        if (index is null && key is null)
        {
            throw new InvalidOperationException($"{typeof(TEntity).Name} has no unique index over {string.Join(", ", properties)}.");
        }

        switch (exception.InnerException)
        {
            case PostgresException { SqlState: UniqueViolationState } postgres:
                return postgres.ConstraintName is { } name && (name == index?.GetDatabaseName() || name == key?.GetName());
            case SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
                when sqlite.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey:
                // SQLite names the columns, not the index: "UNIQUE constraint failed: table.a, table.b".
                var table = entity.GetTableName();
                var columns = string.Join(", ", (index?.Properties ?? key!.Properties).Select(p => $"{table}.{p.GetColumnName()}"));
                return sqlite.Message.EndsWith($"constraint failed: {columns}'.", StringComparison.Ordinal) ||
                       sqlite.Message.EndsWith($"constraint failed: {columns}", StringComparison.Ordinal);
            default:
                return false;
        }
    }
}
