using Bunit;
using Idunox.Shared.Web;
using Idunox.Shared.Web.Components;

namespace Idunox.Portal.Tests;

/// <summary>The small components with rules in them, rendered alone (bUnit).</summary>
public sealed class ComponentTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 3, 2, 9, 0, 0, DateTimeKind.Utc);
    private readonly BunitContext _context = new();

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData("active", "Active", "badge-ok", "Nothing to do")]
    [InlineData("expiring", "Expiring", "badge-warn", "Rotate it before then")]
    [InlineData("grace", "Grace", "badge-info", "switch your systems to the new key")]
    [InlineData("revoked", "Revoked", "badge-muted", "revoked")]
    [InlineData("expired", "Expired", "badge-muted", "Create a new key")]
    public void A_status_badge_says_the_status_in_words_with_a_colour_and_advice(string status, string label, string kind, string advice)
    {
        var badge = _context.Render<StatusBadge>(p => p.Add(b => b.Status, status)).Find("span");

        Assert.Equal(label, badge.TextContent);
        Assert.Contains(kind, badge.ClassList);
        Assert.Contains(advice, badge.GetAttribute("title"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-30, "just now")]
    [InlineData(-3 * 60, "3 minutes ago")]
    [InlineData(-60, "1 minute ago")]
    [InlineData(-5 * 3600, "5 hours ago")]
    [InlineData(-2 * 86400, "2 days ago")]
    [InlineData(4 * 3600, "in 4 hours")]
    [InlineData(-90 * 86400, "on 2 Dec 2025")]
    public void Relative_time_says_when_as_people_do_and_keeps_the_exact_time_for_machines(int seconds, string text)
    {
        var time = _context.Render<RelativeTime>(p => p.Add(t => t.Value, Now.AddSeconds(seconds)).Add(t => t.Now, Now)).Find("time");

        Assert.Equal(text, time.TextContent);
        Assert.Equal(TimeText.Iso(Now.AddSeconds(seconds)), time.GetAttribute("datetime"));
        Assert.EndsWith("UTC", time.GetAttribute("title"), StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_time_without_a_value_says_never()
    {
        var cut = _context.Render<RelativeTime>(p => p.Add(t => t.Value, null).Add(t => t.Now, Now));

        Assert.Equal("never", cut.Find("span").TextContent);
    }

    [Theory]
    [InlineData(30 * 24, "in 30 days")]
    [InlineData(3, "in 1 day")] // three hours left still reads as a day, as the API's expiresInDays does
    [InlineData(24 * 29 + 1, "in 30 days")]
    public void Expiry_in_days_rounds_up(int hoursLeft, string text) =>
        Assert.Equal(text, TimeText.InDays(Now.AddHours(hoursLeft), Now));

    [Theory]
    [InlineData(48 * 60, "in 48 hours")]
    [InlineData(47 * 60 + 1, "in 48 hours")]
    [InlineData(61, "in 2 hours")]
    [InlineData(60, "in 60 minutes")]
    [InlineData(5, "in 5 minutes")]
    public void A_grace_countdown_is_in_hours_then_minutes(int minutesLeft, string text) =>
        Assert.Equal(text, TimeText.InHours(Now.AddMinutes(minutesLeft), Now));

    [Theory]
    [InlineData("/partner/audit", "/partner/audit")]
    [InlineData("/partner/keys?status=grace", "/partner/keys?status=grace")]
    [InlineData("/partner", "/partner")]
    [InlineData("https://evil.example/partner", "/partner/keys")]
    [InlineData("//evil.example/partner", "/partner/keys")]
    [InlineData("/\\evil.example", "/partner/keys")]
    [InlineData("/partnerevil", "/partner/keys")]
    [InlineData("/docs", "/partner/keys")]
    [InlineData(null, "/partner/keys")]
    public void Return_addresses_stay_inside_the_portal(string? url, string expected) =>
        Assert.Equal(expected, LocalUrl.Or(url, "/partner/keys", "/partner/"));
}
