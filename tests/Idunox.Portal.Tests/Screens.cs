using Microsoft.Playwright;

namespace Idunox.Portal.Tests;

/// <summary>Screenshots for a reviewer, written to TestResults/screenshots at the repository root (or IDUNOX_SCREENSHOTS).</summary>
public static class Screens
{
    public static readonly string Directory = Environment.GetEnvironmentVariable("IDUNOX_SCREENSHOTS") is { Length: > 0 } configured
        ? configured
        : Path.Combine(RepositoryRoot(), "TestResults", "screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, $"{name}.png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Idunox.Modular.sln")))
            {
                return dir.FullName;
            }
        }

        return Path.GetTempPath();
    }
}
