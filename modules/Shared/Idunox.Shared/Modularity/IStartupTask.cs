namespace Idunox.Shared.Modularity;

/// <summary>
/// Work a module does when the web host starts, after the databases are migrated (e.g. the Development seed).
/// Not run for command-line verbs. Must be idempotent: it runs at every start.
/// </summary>
public interface IStartupTask
{
    /// <summary>Lower runs first.</summary>
    int Order => 0;

    Task RunAsync(IServiceProvider services, CancellationToken cancellationToken);
}
