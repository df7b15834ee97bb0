using System.Net;
using Microsoft.Data.Sqlite;

namespace Idunox.Notifications.Tests;

/// <summary>The embedded default as a new user meets it: SQLite, in-memory jobs, e-mails as .eml files, the jobs verb.</summary>
public sealed class EmbeddedDefaultTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"idunox-embedded-{Guid.NewGuid():N}");

    private string DatabaseFile => Path.Combine(_directory, "idunox.db");

    private string MailDirectory => Path.Combine(_directory, "mail");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Running_expiry_reminders_leaves_one_expires_in_1_day_eml_and_a_second_run_adds_none()
    {
        await using (var app = IdunoxApp.OnSqlite(DatabaseFile, "Development"))
        {
            app.Clock.SetUtcNow(DateTimeOffset.UtcNow); // the verb below runs on the real clock
            var partner = await app.PartnerAsync();
            var portal = await app.PortalAsync(partner);
            await portal.CreateKeyAsync("tomorrow", expiresInDays: 1);
        }

        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Idunox"] = $"Data Source={DatabaseFile}",
            ["Email__PickupDirectory"] = MailDirectory,
            ["Jwt__SigningKey"] = IdunoxApp.JwtSigningKey,
        };

        var first = await HostProcess.RunAsync(["jobs", "run", "expiry-reminders"], environment);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("expiry-reminders: planned 1 reminder(s) in 1 e-mail(s); sent 1 e-mail(s), 0 failed", first.Out, StringComparison.Ordinal);
        var files = Directory.GetFiles(MailDirectory, "*.eml");
        Assert.Single(files);
        var message = await MimeKit.MimeMessage.LoadAsync(files[0]);
        Assert.EndsWith("(tomorrow) expires in 1 day", message.Subject, StringComparison.Ordinal);

        var second = await HostProcess.RunAsync(["jobs", "run", "expiry-reminders"], environment);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("planned 0 reminder(s) in 0 e-mail(s); sent 0 e-mail(s)", second.Out, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(MailDirectory, "*.eml"));

        var unknown = await HostProcess.RunAsync(["jobs", "run", "no-such-job"], environment);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("There is no job named 'no-such-job'", unknown.Error, StringComparison.Ordinal);

        var list = await HostProcess.RunAsync(["jobs", "list"], environment);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("grace-sweep          */5 * * * *", list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_SQLite_key_events_become_notices_once_and_retired_keys_one_digest()
    {
        await using var app = IdunoxApp.OnSqlite(DatabaseFile);
        var partner = await app.PartnerAsync();
        var portal = await app.PortalAsync(partner);
        var (_, first, firstPrefix) = await portal.CreateKeyAsync("embedded one");
        var (_, second, secondPrefix) = await portal.CreateKeyAsync("embedded two");
        await portal.RotateKeyAsync(first, 24);
        await portal.RotateKeyAsync(second, 24);

        await app.RunJobAsync("outbox-dispatch");
        await app.RunJobAsync("outbox-dispatch"); // a second run finds everything delivered

        string[] notices =
        [
            $"A new API key was created: {firstPrefix}… (embedded one)",
            $"A new API key was created: {secondPrefix}… (embedded two)",
            $"API key rotated: {firstPrefix}… (embedded one)",
            $"API key rotated: {secondPrefix}… (embedded two)",
        ];
        Assert.Equal(notices.Order(StringComparer.Ordinal), (await SubjectsAsync(app)).Order(StringComparer.Ordinal)); // same instant: any order

        // Both grace windows end together: one sweep, one retirement digest naming both keys.
        app.Clock.Advance(TimeSpan.FromHours(24));
        Assert.Contains("of 2 key(s)", await app.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
        await app.RunJobAsync("outbox-dispatch");
        await app.RunJobAsync("email-dispatch");
        await app.RunJobAsync("outbox-dispatch");
        await app.RunJobAsync("email-dispatch");

        var subjects = await SubjectsAsync(app);
        Assert.Equal(5, subjects.Count);
        Assert.Equal("2 rotated API keys retired", subjects[^1]);
    }

    /// <summary>The pickup folder's messages, oldest first (by the Date header, then by subject).</summary>
    private static async Task<List<string>> SubjectsAsync(IdunoxApp app)
    {
        var messages = new List<MimeKit.MimeMessage>();
        foreach (var file in Directory.Exists(app.MailDirectory) ? Directory.GetFiles(app.MailDirectory, "*.eml") : [])
        {
            messages.Add(await MimeKit.MimeMessage.LoadAsync(file));
        }

        return messages.OrderBy(m => m.Date).ThenBy(m => m.Subject, StringComparer.Ordinal).Select(m => m.Subject ?? string.Empty).ToList();
    }

    [Fact]
    public async Task Even_in_Development_the_job_dashboard_asks_for_the_staff_sign_in()
    {
        await using var app = IdunoxApp.OnSqlite(DatabaseFile, "Development");
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        // A script (or the dashboard's own polling) gets 401; a browser is sent to the staff sign-in and back.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/hangfire/stats", UriKind.Relative))).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        request.Headers.Accept.ParseAdd("text/html");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin/sign-in?returnUrl=%2Fhangfire", response.Headers.Location?.PathAndQuery);
    }
}
