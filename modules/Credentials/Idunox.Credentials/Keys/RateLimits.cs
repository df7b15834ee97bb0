using System.Text.Json;
using Idunox.Credentials.Contracts;
using Idunox.Shared.Errors;

namespace Idunox.Credentials.Keys;

/// <summary>
/// A key's rate limit, as every surface sets it: requests a second and a minute, each optional, each a whole number from 1
/// up to a ceiling no partner integration needs to pass (so a typo of extra digits is caught, not stored).
/// </summary>
internal static class RateLimits
{
    public const string Field = "rateLimit";
    public const string PerSecondField = "perSecond";
    public const string PerMinuteField = "perMinute";
    public const int MaxPerSecond = 100_000;
    public const int MaxPerMinute = 6_000_000;

    /// <summary>Adds to <paramref name="errors"/> what breaks the rule in <paramref name="limit"/> (nothing for <see cref="KeyRateLimit.None"/>).</summary>
    public static ValidationErrors Check(KeyRateLimit limit, ValidationErrors errors)
    {
        errors
            .When(limit.PerSecond is < 1 or > MaxPerSecond, $"{Field}.{PerSecondField}",
                $"Requests a second are a whole number from 1 to {MaxPerSecond}, or left out for no limit a second.")
            .When(limit.PerMinute is < 1 or > MaxPerMinute, $"{Field}.{PerMinuteField}",
                $"Requests a minute are a whole number from 1 to {MaxPerMinute}, or left out for no limit a minute.");
        return limit is { PerSecond: { } second and >= 1, PerMinute: { } minute and >= 1 } && second > minute
            ? errors.Add($"{Field}.{PerSecondField}", $"A limit of {second} a second is never reached under {minute} a minute; lower it or raise the minute's.")
            : errors;
    }

    /// <summary>Whether a key limited by <paramref name="after"/> may call more than by <paramref name="before"/> (a limit removed or raised).</summary>
    public static bool Widens(KeyRateLimit before, KeyRateLimit after) =>
        Looser(before.PerSecond, after.PerSecond) || Looser(before.PerMinute, after.PerMinute);

    private static bool Looser(int? before, int? after) => before is { } b && (after is null || after > b);

    /// <summary>The member of a JSON merge patch or request: null (no limit), or an object of <c>perSecond</c> and <c>perMinute</c>.</summary>
    public static KeyRateLimit? FromJson(JsonElement value, ValidationErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return KeyRateLimit.None;
        }

        int? perSecond = null, perMinute = null;
        var shape = value.ValueKind == JsonValueKind.Object;
        if (shape)
        {
            foreach (var member in value.EnumerateObject())
            {
                switch (member.Name)
                {
                    case PerSecondField when Number(member.Value, out var n):
                        perSecond = n;
                        break;
                    case PerMinuteField when Number(member.Value, out var n):
                        perMinute = n;
                        break;
                    default:
                        shape = false;
                        break;
                }
            }
        }

        if (!shape || (perSecond is null && perMinute is null))
        {
            errors.Add(Field, "The rate limit is an object {\"perSecond\": 50, \"perMinute\": 2000} (either may be left out), or null for no limit.");
            return null;
        }

        return new KeyRateLimit(perSecond, perMinute);
    }

    /// <summary>A whole number (null is "no limit of this kind"); larger than an int is out of range, not malformed.</summary>
    private static bool Number(JsonElement value, out int? number)
    {
        number = null;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var d) || d != decimal.Truncate(d))
        {
            return false;
        }

        number = d > int.MaxValue ? int.MaxValue : d < int.MinValue ? int.MinValue : (int)d;
        return true;
    }
}
