using System.Text.RegularExpressions;

namespace Idunox.Architecture.Tests;

/// <summary>The README and the pages in docs/ point only at files that exist (a moved page or screenshot breaks this test).</summary>
public sealed partial class DocumentationLinkTests
{
    [Fact]
    public void Every_relative_link_in_the_README_and_docs_resolves()
    {
        var root = RepositoryRoot();
        var pages = Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Prepend(Path.Combine(root, "README.md")).ToList();
        Assert.True(pages.Count > 3, $"found only {pages.Count} documentation pages under {root}");

        var checkedLinks = 0;
        var broken = new List<string>();
        foreach (var page in pages)
        {
            foreach (Match link in MarkdownLink().Matches(File.ReadAllText(page)))
            {
                var target = link.Groups["target"].Value.Trim();
                if (target.Length == 0 || target.StartsWith('#') || Uri.TryCreate(target, UriKind.Absolute, out _))
                {
                    continue; // an anchor on the same page, or a web address
                }

                var path = Uri.UnescapeDataString(target.Split('#')[0]);
                checkedLinks++;
                if (!File.Exists(Path.Combine(Path.GetDirectoryName(page)!, path)) && !Directory.Exists(Path.Combine(Path.GetDirectoryName(page)!, path)))
                {
                    broken.Add($"{Path.GetRelativePath(root, page)}: {target}");
                }
            }
        }

        Assert.True(checkedLinks > 10, $"only {checkedLinks} relative links found: is the pattern still right?");
        Assert.Empty(broken);
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

        throw new InvalidOperationException("The repository root (Idunox.Modular.sln) is not above the test's directory.");
    }

    /// <summary>[text](target) and ![alt](target), the target up to a space (a title may follow) or the closing parenthesis.</summary>
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();
}
