namespace Idunox.Shared.Web;

/// <summary>Return addresses are honoured only when they are local paths of the given area: no open redirects.</summary>
public static class LocalUrl
{
    public static string Or(string? url, string fallback, string requiredPrefix = "/")
    {
        if (string.IsNullOrEmpty(url) || url.Length > 2048 || url[0] != '/' || url.StartsWith("//", StringComparison.Ordinal) ||
            url.StartsWith("/\\", StringComparison.Ordinal) || url.Any(c => char.IsControl(c) || c == '\\'))
        {
            return fallback;
        }

        var path = url.Split('?', '#')[0];
        return path.Equals(requiredPrefix.TrimEnd('/'), StringComparison.Ordinal) || path.StartsWith(requiredPrefix, StringComparison.Ordinal)
            ? url
            : fallback;
    }
}
