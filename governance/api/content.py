"""Content in API responses goes through the same check as the admin (governance.support).

A serializer lists its content in Meta.content_fields; each is None in the output unless the
request's user may see that object's content; a view under a support grant is audited.
"""

from governance.support import grants


class ContentFieldsMixin:
    def to_representation(self, instance):
        data = super().to_representation(instance)
        names = [n for n in getattr(self.Meta, "content_fields", ()) if n in data]
        if not names:
            return data
        request = self.context.get("request")
        access = grants.can_see_content(user=getattr(request, "user", None), obj=instance)
        if access is None:
            for name in names:
                data[name] = None
        else:
            grants.record_view(user=request.user, obj=instance, access=access, fields=names)
        return data
