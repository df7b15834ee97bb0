using Idunox.Host.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Testing;

public static class Jobs
{
    /// <summary>Runs one recurring job once, now, exactly as Hangfire and the <c>jobs run</c> verb do.</summary>
    public static Task<string> RunJobAsync(this IdunoxApp app, string name) =>
        app.Services.GetRequiredService<RecurringJobRunner>().RunAsync(name, CancellationToken.None);

    /// <summary>Writes what the key gate noted in memory (last-used times, allow-list findings) now, as its periodic flush does.</summary>
    public static Task<int> FlushVerificationNotesAsync(this IdunoxApp app) =>
        app.Services.GetRequiredService<Idunox.Credentials.Verification.LastUsedWriter>().FlushAsync(CancellationToken.None);
}
