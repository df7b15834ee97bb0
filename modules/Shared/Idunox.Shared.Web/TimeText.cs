using System.Globalization;

namespace Idunox.Shared.Web;

/// <summary>Times in the words people read: "3 minutes ago", "in 5 hours", "expires in 12 days". All times are UTC.</summary>
public static class TimeText
{
    /// <summary>"just now", "3 minutes ago", "in 5 hours", "2 days ago"; past 60 days, the date.</summary>
    public static string Relative(DateTime value, DateTime now)
    {
        var delta = value - now;
        var span = delta.Duration();
        if (span < TimeSpan.FromMinutes(1))
        {
            return "just now";
        }

        var amount = span < TimeSpan.FromHours(1) ? Count((int)span.TotalMinutes, "minute")
            : span < TimeSpan.FromDays(1) ? Count((int)span.TotalHours, "hour")
            : span < TimeSpan.FromDays(60) ? Count((int)span.TotalDays, "day")
            : null;
        return amount is null ? $"on {Date(value)}" : delta < TimeSpan.Zero ? $"{amount} ago" : $"in {amount}";
    }

    /// <summary>"in 12 days" until an end, in whole days rounded up (3 hours left is "in 1 day"), the product's rule.</summary>
    public static string InDays(DateTime end, DateTime now) =>
        $"in {Count(Math.Max(1, (int)Math.Ceiling((end - now).TotalDays)), "day")}";

    /// <summary>"in 5 hours" (rounded up), or "in 20 minutes" in the last hour: for grace windows.</summary>
    public static string InHours(DateTime end, DateTime now)
    {
        var left = end - now;
        return left <= TimeSpan.FromHours(1)
            ? $"in {Count(Math.Max(1, (int)Math.Ceiling(left.TotalMinutes)), "minute")}"
            : $"in {Count((int)Math.Ceiling(left.TotalHours), "hour")}";
    }

    public static string Date(DateTime value) => value.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    public static string DateTimeUtc(DateTime value) => value.ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The machine-readable form for <c>&lt;time datetime&gt;</c>.</summary>
    public static string Iso(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Count(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
