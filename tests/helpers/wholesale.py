"""Purchase orders through the API, as a business's system sends them."""

import uuid


def submit(client, headers, method="card", key=None, reference="PO-7781"):
    return client.post("/api/v1/purchase-orders/draft/submit",
                       headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
                       json={"reference": reference, "payment_method": method})


def put_line(client, headers, product, quantity):
    return client.put(f"/api/v1/purchase-orders/draft/lines/{product.id}", headers=headers,
                      json={"quantity": quantity})
