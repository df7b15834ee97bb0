using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Idunox.Portal.Tests;

/// <summary>
/// Portal and staff sessions are rows on the server: a copied cookie dies with its session on every host, idle and
/// absolute limits are the row's, and a person can see and end their sessions — their own only.
/// </summary>
public sealed partial class ServerSessionTests
{
    private static async Task<(IdunoxApp App, TestDatabase? Database, string? File)> StartAsync(string provider,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        if (provider == "PostgreSQL")
        {
            var database = await TestPostgres.CreateDatabaseAsync();
            return (IdunoxApp.OnPostgres(database, extra: settings), database, null);
        }

        var file = Path.Combine(Path.GetTempPath(), $"idunox-sessions-{Guid.NewGuid():N}.db");
        return (IdunoxApp.OnSqlite(file, extra: settings), null, file);
    }

    /// <summary>A second host on the same database: another server of the platform.</summary>
    private static IdunoxApp Another((IdunoxApp App, TestDatabase? Database, string? File) host, IReadOnlyDictionary<string, string?>? settings = null) =>
        host.Database is { } database ? IdunoxApp.OnPostgres(database, extra: settings) : IdunoxApp.OnSqlite(host.File!, extra: settings);

    private static HttpClient Browser(IdunoxApp app, string? userAgent = null)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true });
        if (userAgent is not null)
        {
            client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        }

        return client;
    }

    private static async Task<string> TokenAsync(HttpClient client, string path) =>
        TokenField().Match(await client.GetStringAsync(new Uri(path, UriKind.Relative))).Groups[1].Value;

    private static async Task<(HttpClient Client, string Cookie)> SignInAsync(IdunoxApp app, string email, string password, string? userAgent = null)
    {
        var client = Browser(app, userAgent);
        var answer = await client.PostAsync(new Uri("/partner/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = await TokenAsync(client, "/partner/sign-in"),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return (client, CookieOf(answer, "__Host-idunox.portal"));
    }

    private static string CookieOf(HttpResponseMessage answer, string name) =>
        answer.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal)).Split(';')[0];

    /// <summary>A request with nothing but a copied cookie, as an attacker holding it would send.</summary>
    private static async Task<HttpStatusCode> WithCopiedCookieAsync(IdunoxApp app, string cookie, string path = "/partner/keys")
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add("Accept", "text/html");
        return (await client.SendAsync(request)).StatusCode;
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, string tokenFrom = "/partner/account") =>
        await client.PostAsync(new Uri(path, UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = await TokenAsync(client, tokenFrom) }));

    private static async Task DisposeAsync((IdunoxApp App, TestDatabase? Database, string? File) host)
    {
        await host.App.DisposeAsync();
        if (host.Database is not null)
        {
            await host.Database.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("SQLite")]
    public async Task A_copied_portal_cookie_stops_working_on_every_host_when_its_session_signs_out(string provider)
    {
        var host = await StartAsync(provider);
        try
        {
            await using var other = Another(host);
            var partner = await host.App.PartnerAsync();
            var (client, cookie) = await SignInAsync(host.App, partner.Email, partner.Password);
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, cookie));
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(other, cookie));

            var signOut = await PostFormAsync(client, "/partner/sign-out", "/partner/keys");
            Assert.Equal("/partner/sign-in?signedOut=1", signOut.Headers.Location!.OriginalString);

            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, cookie));
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(other, cookie));
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    [Fact]
    public async Task The_idle_limit_is_kept_by_the_row_and_activity_moves_it_and_the_absolute_limit_holds_whatever_the_activity()
    {
        var host = await StartAsync("PostgreSQL");
        try
        {
            var partner = await host.App.PartnerAsync();
            var (_, cookie) = await SignInAsync(host.App, partner.Email, partner.Password);

            // Activity every 50 minutes keeps a 60-minute idle limit from ending the session ...
            for (var hour = 0; hour < 11; hour++)
            {
                host.App.Clock.Advance(TimeSpan.FromMinutes(50));
                Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, cookie));
            }

            // ... up to the 12-hour absolute limit (11 × 50 min = 9 h 10 min so far), still active every 50 minutes.
            for (var step = 0; step < 3; step++)
            {
                host.App.Clock.Advance(TimeSpan.FromMinutes(50));
                Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, cookie)); // 10 h, 10 h 50, 11 h 40
            }

            host.App.Clock.Advance(TimeSpan.FromMinutes(50)); // 12 h 30: never idle, but past 12 hours
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, cookie));

            // 61 minutes without a request end a fresh session.
            var (_, second) = await SignInAsync(host.App, partner.Email, partner.Password);
            host.App.Clock.Advance(TimeSpan.FromMinutes(59));
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, second));
            host.App.Clock.Advance(TimeSpan.FromMinutes(61));
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, second));
            // Ended for good: coming back sooner does not revive it.
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, second));
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    [Fact]
    public async Task The_account_page_lists_the_open_sessions_and_signs_out_one_of_them_but_never_another_users()
    {
        var host = await StartAsync("PostgreSQL");
        try
        {
            var partner = await host.App.PartnerAsync();
            var stranger = await host.App.PartnerAsync(); // another organisation
            var (here, _) = await SignInAsync(host.App, partner.Email, partner.Password,
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36");
            var (there, thereCookie) = await SignInAsync(host.App, partner.Email, partner.Password,
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0");
            var (strangerClient, _) = await SignInAsync(host.App, stranger.Email, stranger.Password);

            var page = await here.GetStringAsync(new Uri("/partner/account", UriKind.Relative));
            Assert.Contains("Chrome on Linux", page, StringComparison.Ordinal);
            Assert.Contains("Firefox on Windows", page, StringComparison.Ordinal);
            Assert.Contains("This browser", page, StringComparison.Ordinal);
            var ids = SessionForm().Matches(page).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(2, ids.Count);
            var theirs = ids.Single(id => !ThisBrowserRow(page).Contains(id, StringComparison.Ordinal));

            // Another organisation's user cannot end it: "not found", and the session goes on.
            var refused = await PostFormAsync(strangerClient, $"/partner/sessions/{theirs}/sign-out");
            Assert.Contains("sessionNotFound=1", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, thereCookie));
            // Without the page's token, nothing happens either.
            var forged = await here.PostAsync(new Uri($"/partner/sessions/{theirs}/sign-out", UriKind.Relative), new FormUrlEncodedContent([]));
            Assert.Equal("/partner/account", forged.Headers.Location!.OriginalString);
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, thereCookie));

            var ended = await PostFormAsync(here, $"/partner/sessions/{theirs}/sign-out");
            Assert.Contains("sessionEnded=1", ended.Headers.Location!.OriginalString, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, thereCookie));
            Assert.Equal(HttpStatusCode.Redirect, (await there.GetAsync(new Uri("/partner/keys", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await here.GetAsync(new Uri("/partner/keys", UriKind.Relative))).StatusCode);
            var after = await here.GetStringAsync(new Uri("/partner/account", UriKind.Relative));
            Assert.Single(SessionForm().Matches(after));
            Assert.DoesNotContain("Firefox on Windows", after, StringComparison.Ordinal);

            // A made-up id is "not found" too.
            var unknown = await PostFormAsync(here, $"/partner/sessions/{Guid.NewGuid()}/sign-out");
            Assert.Contains("sessionNotFound=1", unknown.Headers.Location!.OriginalString, StringComparison.Ordinal);
            var garbage = await PostFormAsync(here, "/partner/sessions/not-a-session/sign-out");
            Assert.Contains("sessionNotFound=1", garbage.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    [Fact]
    public async Task Signing_out_everywhere_ends_every_session_and_every_access_token_of_the_user_and_nobody_elses()
    {
        var host = await StartAsync("PostgreSQL");
        try
        {
            var partner = await host.App.PartnerAsync();
            var colleague = await host.App.SecondUserAsync(partner);
            var (here, hereCookie) = await SignInAsync(host.App, partner.Email, partner.Password);
            var (_, thereCookie) = await SignInAsync(host.App, partner.Email, partner.Password);
            var (_, colleagueCookie) = await SignInAsync(host.App, colleague.Email, Arrange.DefaultPassword);
            var api = host.App.ClientWithToken(await host.App.SignInAsync(partner));
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(new Uri("/v1/partner/me", UriKind.Relative))).StatusCode);

            var everywhere = await PostFormAsync(here, "/partner/sessions/sign-out-everywhere");
            Assert.Equal("/partner/sign-in?signedOut=everywhere", everywhere.Headers.Location!.OriginalString);

            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, hereCookie));
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, thereCookie));
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync(new Uri("/v1/partner/me", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, colleagueCookie));
            Assert.Contains("You have signed out everywhere", await Browser(host.App).GetStringAsync(new Uri("/partner/sign-in?signedOut=everywhere", UriKind.Relative)),
                StringComparison.Ordinal);
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    private static readonly Dictionary<string, string?> PasswordOnlyStaff = new() { ["Admin:RequireTwoFactor"] = "false" };

    private static async Task<(HttpClient Client, string Cookie)> StaffSignInAsync(IdunoxApp app, TestStaff staff)
    {
        var client = Browser(app);
        var answer = await client.PostAsync(new Uri("/admin/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "staff-sign-in",
            ["__RequestVerificationToken"] = await TokenAsync(client, "/admin/sign-in"),
            ["Input.Email"] = staff.Email,
            ["Input.Password"] = staff.Password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return (client, CookieOf(answer, "__Host-idunox.admin"));
    }

    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("SQLite")]
    public async Task A_copied_staff_cookie_stops_working_on_every_host_when_its_session_signs_out(string provider)
    {
        var host = await StartAsync(provider, PasswordOnlyStaff);
        try
        {
            await using var other = Another(host, PasswordOnlyStaff);
            var staff = await host.App.StaffAsync();
            var (client, cookie) = await StaffSignInAsync(host.App, staff);
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(other, cookie, "/admin/organisations"));

            var signOut = await PostFormAsync(client, "/admin/sign-out", "/admin/organisations");
            Assert.Equal("/admin/sign-in?signedOut=1", signOut.Headers.Location!.OriginalString);

            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, cookie, "/admin/organisations"));
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(other, cookie, "/admin/organisations"));
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    [Fact]
    public async Task The_job_dashboards_polling_does_not_keep_an_idle_staff_session_alive_and_a_page_does()
    {
        var host = await StartAsync("PostgreSQL", PasswordOnlyStaff);
        try
        {
            var staff = await host.App.StaffAsync();
            var (dashboard, polled) = await StaffSignInAsync(host.App, staff);
            var (_, used) = await StaffSignInAsync(host.App, staff);
            // The open dashboard page: its script polls the statistics with the page's antiforgery token.
            var page = await dashboard.GetStringAsync(new Uri("/hangfire", UriKind.Relative));
            var (header, token) = (CsrfMeta("header").Match(page).Groups[1].Value, CsrfMeta("token").Match(page).Groups[1].Value);
            Assert.NotEmpty(token);
            async Task<HttpStatusCode> PollAsync()
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/hangfire/stats") { Content = new FormUrlEncodedContent([new("metrics[]", "enqueued:count")]) };
                request.Headers.Add(header, token);
                return (await dashboard.SendAsync(request)).StatusCode;
            }

            // 25 minutes in: one session only polls the dashboard's statistics, the other opens a page.
            host.App.Clock.Advance(TimeSpan.FromMinutes(25));
            Assert.Equal(HttpStatusCode.OK, await PollAsync());
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, used, "/admin/organisations"));
            for (var minute = 0; minute < 4; minute++)
            {
                host.App.Clock.Advance(TimeSpan.FromMinutes(1));
                Assert.Equal(HttpStatusCode.OK, await PollAsync());
            }

            // 30 minutes after the last page: the polling session has ended (30-minute idle limit), the other has not.
            host.App.Clock.Advance(TimeSpan.FromMinutes(1));
            Assert.NotEqual(HttpStatusCode.OK, await PollAsync());
            Assert.Equal(HttpStatusCode.Redirect, await WithCopiedCookieAsync(host.App, polled, "/admin/organisations"));
            Assert.Equal(HttpStatusCode.OK, await WithCopiedCookieAsync(host.App, used, "/admin/organisations"));
        }
        finally
        {
            await DisposeAsync(host);
        }
    }

    private static Regex CsrfMeta(string what) => new($"<meta name=\"csrf-{what}\" content=\"([^\"]+)\"");

    /// <summary>The account page's row of the browser asking (from its badge to the end of the row).</summary>
    private static string ThisBrowserRow(string page)
    {
        var at = page.IndexOf("This browser", StringComparison.Ordinal);
        return page[at..page.IndexOf("</tr>", at, StringComparison.Ordinal)];
    }

    [GeneratedRegex("action=\"/partner/sessions/([0-9a-f-]{36})/sign-out\"")]
    private static partial Regex SessionForm();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
