namespace Idunox.Shared.Errors;

/// <summary>The one paging rule of every list: pages from 1, a bounded page size, and no page deeper than a bounded offset.</summary>
public static class Paging
{
    public static ValidationErrors Validate(int page, int pageSize, int maxPageSize, int maxOffset, string what)
    {
        var errors = new ValidationErrors()
            .When(pageSize is < 1 || pageSize > maxPageSize, "pageSize", $"A page holds 1 to {maxPageSize} {what}.");
        if (pageSize >= 1 && pageSize <= maxPageSize)
        {
            var lastPage = Math.Max(1, maxOffset / pageSize);
            errors.When(page < 1 || page > lastPage, "page",
                $"Pages are numbered from 1 to {lastPage} at this page size; narrow the list to see older {what}.");
        }
        else
        {
            errors.When(page < 1, "page", "Pages are numbered from 1.");
        }

        return errors;
    }
}
