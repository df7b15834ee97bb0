using Hangfire;
using Idunox.Shared.Persistence;

namespace Idunox.Host.Platform;

internal enum JobStorageKind
{
    InMemory,
    Postgres,
}

/// <summary><c>Jobs:*</c>: where Hangfire keeps its jobs, and whether this process runs a Hangfire server.</summary>
internal sealed record JobsSettings(JobStorageKind Storage, string? ConnectionString, bool ServerEnabled, int WorkerCount)
{
    public const string Schema = "hangfire";

    public override string ToString() => $"JobsSettings {{ Storage = {Storage}, ServerEnabled = {ServerEnabled}, WorkerCount = {WorkerCount} }}";

    public static JobsSettings From(IConfiguration configuration, DatabaseSettings database)
    {
        var text = configuration["Jobs:Storage"];
        var storage = string.IsNullOrWhiteSpace(text)
            ? database.Provider == DatabaseProvider.Postgres ? JobStorageKind.Postgres : JobStorageKind.InMemory
            : Enum.TryParse<JobStorageKind>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new StartupConfigurationException($"Jobs:Storage must be InMemory or Postgres (it is '{text}').");
        if (storage == JobStorageKind.Postgres && database.Provider != DatabaseProvider.Postgres)
        {
            throw new StartupConfigurationException("Jobs:Storage=Postgres needs Database:Provider=Postgres: Hangfire shares its database.");
        }

        var workers = configuration.GetValue("Jobs:Server:WorkerCount", 2);
        return new JobsSettings(storage, storage == JobStorageKind.Postgres ? database.ConnectionString : null,
            configuration.GetValue("Jobs:Server:Enabled", true), Math.Clamp(workers, 1, 20));
    }
}
