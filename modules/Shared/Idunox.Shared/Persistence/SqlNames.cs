using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Idunox.Shared.Persistence;

/// <summary>
/// An entity's table and column names as the provider writes them (schema or SQLite prefix, snake case, quoting), for
/// the few statements EF cannot express: claims that update and return rows in one go, bulk inserts.
/// </summary>
public sealed class SqlNames
{
    private readonly IEntityType _entity;
    private readonly StoreObjectIdentifier _table;
    private readonly ISqlGenerationHelper _sql;

    private SqlNames(IEntityType entity, StoreObjectIdentifier table, ISqlGenerationHelper sql) => (_entity, _table, _sql) = (entity, table, sql);

    public static SqlNames Of<T>(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in {db.GetType().Name}'s model.");
        return new SqlNames(entity, StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema()), db.GetService<ISqlGenerationHelper>());
    }

    /// <summary>The table, schema-qualified where there are schemas.</summary>
    public string Table => _sql.DelimitIdentifier(_table.Name, _table.Schema);

    /// <summary>The column of a property, e.g. <c>Column(nameof(ApiKey.GraceEndsAt))</c> → <c>"grace_ends_at"</c>.</summary>
    public string Column(string property) =>
        _sql.DelimitIdentifier((_entity.FindProperty(property) ?? throw new ArgumentException($"{_entity.ClrType.Name} has no {property}.", nameof(property)))
            .GetColumnName(_table)!);

    /// <summary>The columns of several properties, comma-separated: an <c>INSERT</c>'s column list.</summary>
    public string Columns(params string[] properties) => string.Join(", ", properties.Select(Column));
}

public static class DbCommandExtensions
{
    /// <summary>Adds a named parameter (<c>@name</c> in the command's text) with its value.</summary>
    public static void AddParameter(this System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
