"""The reference the header drawn in Python (:meth:`config.tables.KeysetTable.draw_head`) is
tested against: the header's cells as django-tables2's bootstrap5.html draws them, with sort
links that start again from the new order's first page."""

HEAD_CELLS = """{% for column in table.columns %}
                    <th {{ column.attrs.th.as_html }} scope="col">
                        {% if column.orderable %}
                            <a href="{% querystring_replace \
table.prefixed_order_by_field=column.order_by_alias.next without "after" "before" "page" %}">\
{{ column.header }}</a>
                        {% else %}
                            {{ column.header }}
                        {% endif %}
                    </th>
                {% endfor %}"""
