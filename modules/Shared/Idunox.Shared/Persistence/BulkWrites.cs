using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Idunox.Shared.Persistence;

/// <summary>
/// Set-based writes for jobs that record thousands of rows at once (the grace sweep, reminder digests). On PostgreSQL
/// a whole batch is one <c>INSERT … SELECT FROM unnest(arrays)</c>: one statement and one round trip, whatever the batch
/// size. On SQLite (one local writer, no round trips) the rows go through the change tracker as usual.
/// </summary>
/// <remarks>
/// These writes are for system jobs that act across tenants and set every row's <c>TenantId</c> themselves: they do not
/// pass the cross-tenant save guard of <see cref="ModuleDbContext"/>, so request code never uses them.
/// </remarks>
public static class BulkWrites
{
    /// <summary>Inserts <paramref name="rows"/> in the context's current transaction, if any.</summary>
    public static async Task InsertAsync<T>(this DbContext db, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (!db.Database.IsNpgsql())
        {
            db.Set<T>().AddRange(rows);
            using (db is ModuleDbContext module ? module.AllowSystemInserts() : null)
            {
                await db.SaveChangesAsync(cancellationToken);
            }

            foreach (var row in rows)
            {
                db.Entry(row).State = EntityState.Detached; // a batch should not grow the tracker of the next one
            }

            return;
        }

        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in {db.GetType().Name}'s model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = new List<string>();
        var parameters = new List<NpgsqlParameter>();
        foreach (var property in entity.GetProperties())
        {
            if (NpgsqlPropertyExtensions.GetValueGenerationStrategy(property) is not NpgsqlValueGenerationStrategy.None)
            {
                continue; // identity columns (the outbox's sequence) are numbered by the database, in insertion order
            }

            var mapping = property.GetRelationalTypeMapping();
            var converter = mapping.Converter;
            var elementType = converter?.ProviderClrType ?? property.ClrType;
            if (property.IsNullable && elementType.IsValueType && Nullable.GetUnderlyingType(elementType) is null)
            {
                elementType = typeof(Nullable<>).MakeGenericType(elementType);
            }

            var values = Array.CreateInstance(elementType, rows.Count);
            var getter = property.GetGetter();
            for (var i = 0; i < rows.Count; i++)
            {
                var value = getter.GetClrValueUsingContainingEntity(rows[i]);
                values.SetValue(converter is null || value is null ? value : converter.ConvertToProvider(value), i);
            }

            columns.Add(sql.DelimitIdentifier(property.GetColumnName(table)!));
            parameters.Add(new NpgsqlParameter($"p{parameters.Count}", values) { DataTypeName = ArrayOf(mapping.StoreType) });
        }

        var statement = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns)}) " +
                        $"SELECT * FROM unnest({string.Join(", ", parameters.Select(p => "@" + p.ParameterName))})";
        await db.Database.ExecuteSqlRawAsync(statement, parameters, cancellationToken);
    }

    /// <summary>
    /// <c>INSERT INTO table (columns) VALUES … ON CONFLICT (unique) DO NOTHING RETURNING …</c> on either provider: the rows
    /// answered are those this statement inserted, so of two concurrent writers each row goes to exactly one (a claim).
    /// Values are parameters, so keep a statement to a few thousand rows.
    /// </summary>
    public static Task<List<TResult>> InsertNewAsync<TResult>(this DbContext db, string table, IReadOnlyList<string> columns,
        IEnumerable<object[]> rows, IReadOnlyList<string> unique, string returning, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        var arguments = new List<object>();
        foreach (var row in rows)
        {
            values.Add("(" + string.Join(", ", row.Select((_, i) => $"{{{arguments.Count + i}}}")) + ")");
            arguments.AddRange(row);
        }

        var format = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES {string.Join(", ", values)} " +
                     $"ON CONFLICT ({string.Join(", ", unique)}) DO NOTHING RETURNING {returning}";
        return db.Database.SqlQuery<TResult>(System.Runtime.CompilerServices.FormattableStringFactory.Create(format, arguments.ToArray())).ToListAsync(cancellationToken);
    }

    /// <summary><c>character varying(100)</c> → <c>character varying[]</c>: array parameters carry no length.</summary>
    private static string ArrayOf(string storeType)
    {
        var open = storeType.IndexOf('(', StringComparison.Ordinal);
        return (open < 0 ? storeType : storeType[..open].TrimEnd()) + "[]";
    }
}
