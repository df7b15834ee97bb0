using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Idunox.Testing;

/// <summary>A database of its own and a host on it, shared by the tests of one class (each test arranges its own tenants).</summary>
public class PostgresAppFixture : IAsyncLifetime
{
    private TestDatabase? _database;
    private IdunoxApp? _app;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Armed by a test to prove that requests overlapped (see <see cref="CommandGate"/>).</summary>
    public CommandGate Gate { get; } = new();

    public IdunoxApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    protected virtual string Environment => "Testing";

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Adds to the host before it starts (test services, say).</summary>
    protected virtual void ConfigureApp(IdunoxApp app)
    {
    }

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _app = IdunoxApp.OnPostgres(_database, Environment, Settings);
        _app.TestServices.Add(services => services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(Gate));
        ConfigureApp(_app);
        _ = _app.Server; // start the host: migrations and start-up tasks run now
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
